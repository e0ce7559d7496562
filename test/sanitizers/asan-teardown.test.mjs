// The teardown tests with the addon built with ASan + UBSan: zero reports. (Add the socket
// teardown tests here when uring-shim/net lands.)
import t from 'tap';
import { underAsan } from '../helpers/asan.mjs';

underAsan(t, ['test/lifetime/teardown.test.mjs', 'test/lifetime/worker-terminate.test.mjs'], { TERMINATE_WORKERS: '60' });
