// The soak workload (bench/soak.mjs: files and HTTP on loopback, every result checked) for two
// minutes under uring-shim/register: no errors, descriptors back where they started and
// bounded meanwhile. RSS and the slopes are reported, not asserted (the documented run is 10
// minutes: see bench/README.md).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../helpers/refused.mjs';

const SECONDS = Number(process.env.SOAK_SECONDS) || 120;

t.test(`${SECONDS} s soak under register`, async (t) => {
  const r = spawnSync(process.execPath, ['--require', './dist/cjs/register.js', 'bench/soak.mjs', '--seconds', String(SECONDS)],
    { cwd: ROOT, encoding: 'utf8', timeout: (SECONDS + 60) * 1000 });
  t.equal(r.signal, null, `not killed (${r.stderr.slice(-2000)})`);
  const summary = JSON.parse(r.stdout.trim().split('\n').at(-1));
  t.comment(`fs ops ${summary.fsOps}, HTTP requests ${summary.httpRequests}, connections ${summary.connections}, ` +
    `ring completions ${summary.ringCompletions}; RSS ${summary.rssMiB.first} -> ${summary.rssMiB.last} MiB ` +
    `(slope ${summary.rssMiB.slopePerMinute} MiB/min), fds ${summary.fds.start} -> ${summary.fds.end} (max ${summary.fds.max})`);
  t.equal(summary.errors, 0, `no errors ${summary.firstErrors.join('\n')}`);
  t.equal(r.status, 0, 'exit 0');
  t.equal(summary.registered, true, 'node:fs/promises was the shim\'s');
  t.equal(summary.backend, 'io_uring', 'on the ring');
  t.ok(summary.fsOps > 0 && summary.httpRequests > 0, 'both workloads ran');
  // In flight at once: 16 fs loops hold at most one fd each, 8 HTTP clients at most two
  // connections each (both ends in this process), plus the ring's own and the listener.
  t.ok(summary.fds.max <= summary.fds.start + 16 + 8 * 2 * 2 + 8, `descriptors bounded (start ${summary.fds.start}, max ${summary.fds.max})`);
  t.ok(summary.fds.end <= summary.fds.start, `descriptors back where they started (${summary.fds.start} -> ${summary.fds.end})`);
  const csv = r.stdout.trim().split('\n').filter((l) => /^\d/.test(l));
  t.ok(csv.length >= SECONDS - 2, `one sample a second (${csv.length})`);
});
