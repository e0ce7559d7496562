// io_uring refused by a seccomp filter (EPERM on io_uring_setup/enter/register, as Docker's and
// containerd's default profiles do): everything goes through Node, with identical results.
import t from 'tap';
import { denyUringLauncher } from '../helpers/seccomp.mjs';
import { refusedSuite } from '../helpers/refused.mjs';

const { launcher, reason } = denyUringLauncher();
if (!launcher) {
  t.skip(reason);
} else {
  refusedSuite(t, { prefix: [launcher], env: {}, reason: /io_uring_setup: EPERM \(blocked by a seccomp profile/ });
}
