// URING_SHIM_DISABLE=1: everything goes through Node, with identical results.
import t from 'tap';
import { refusedSuite } from '../helpers/refused.mjs';

refusedSuite(t, { prefix: [], env: { URING_SHIM_DISABLE: '1' }, reason: /^(uring-shim: using Node's own fs and net: )?disabled by URING_SHIM_DISABLE=1$/ });
