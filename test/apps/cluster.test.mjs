// cluster: two workers under --require uring-shim/register (inherited through execArgv), one
// shared port, each worker on its own ring, every file served correctly.
import t from 'tap';
import { runApp, assertOnRing } from './helpers.mjs';

const { checks } = runApp(t, 'cluster');
t.ok(checks.correct, 'every body is the file asked for');
t.same(checks.servedBy, checks.workerPids, 'both workers served requests');
t.equal(checks.workers?.length, 2, 'both workers reported their stats');
t.equal((checks.workers ?? []).reduce((n, w) => n + w.ring.readFile, 0), 40, 'the two rings together carried exactly the 40 requests: none shared', { workers: checks.workers });
for (const w of checks.workers ?? []) {
  t.equal(w.ring.readFile, w.served, `worker ${w.pid}: its own ring carried the readFile of each of its ${w.served} requests (${w.ring.readFile})`);
  assertOnRing(t, 'cluster', { backend: w.backend, ring: w.ring });
}
