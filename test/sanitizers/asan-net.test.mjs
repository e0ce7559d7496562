// The net unit tests with the addon built with ASan + UBSan: zero reports. Ring sockets in
// receive, accepting, sending 16 MiB each way, 1,000 connections, resets and closes with
// operations in flight.
import t from 'tap';
import { underAsan } from '../helpers/asan.mjs';

underAsan(t, ['test/net/socket.test.mjs', 'test/net/register.test.mjs']);
