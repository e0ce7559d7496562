#!/usr/bin/env node
// A one-minute side-by-side: a few fs workloads and two short net workloads with stock Node and
// with uring-shim, 3 interleaved rounds each in fresh processes, then one table. `node bench/demo.mjs`
// fs: fs-workload.mjs with 64 operations in flight. net: the process under test is a server
// (bench/net/server.mjs, stock Node or `--require uring-shim/register`), the load generator is
// the same for both (bench/net/load.c, or load.mjs on stock Node without a compiler); pinned to
// different CPUs when there are two.
// Never fails because the shim fell back (no io_uring, old kernel, seccomp, ...): it then shows
// ratios around 1 and says why. Exits 1 only if a workload could not run at all.
import {
  CASES, CACHE_DIR, abRounds, straceChild, haveStrace, ensureFixtures, progress, table, describeBackend,
  fmtRate, fmtRatio, fmtNum,
} from './lib.mjs';
import { serverCase, PINNED } from './net/lib.mjs';
import { loadGenerator } from './net/load-generator.mjs';

const FS_NAMES = ['F1', 'F2', 'F3', 'F6'];
const ROUNDS = 3;
const NET_SECONDS = 2; // per timed run; the strace run is 1 s
// An op is one echoed message / one request and its response.
const NET = {
  N1: { what: 'echo 64 B ping-pong, 50 connections (op: message)', kind: 'echo', args: (s) => [50, 64, s] },
  N2: { what: 'http hello world, 50 keep-alive clients (op: request)', kind: 'http', args: (s) => [50, s] },
};
const BUDGET = 75; // seconds; the syscall columns are dropped if the timed rounds ate the budget

const what = (name) => (CASES[name] ?? NET[name]).what;
// serverCase's result as abRounds wants it; a failure is a result, not an exception.
const netRun = (name, seconds, trace = false) => (impl) => serverCase(impl, NET[name].kind, NET[name].args(seconds), { trace })
  .then((r) => ({ ...r, opsPerSec: r.rate }), (e) => ({ error: e.message }));

const p = progress();
try {
  ensureFixtures((m) => p.update(m));
  const results = [];
  for (const name of FS_NAMES) {
    results.push(await abRounds(name, {
      rounds: ROUNDS, count: CASES[name].demo, maxSeconds: 2, onStep: (s) => p.update(`${s} (${what(name)})`),
    }));
  }
  for (const name of Object.keys(NET)) {
    results.push(await abRounds(name, {
      rounds: ROUNDS, run: netRun(name, NET_SECONDS), onStep: (s) => p.update(`${s} (${what(name)}, ${NET_SECONDS} s)`),
    }));
  }

  let straceNote = null;
  const sys = {};
  if (!haveStrace()) straceNote = 'syscalls/op skipped: strace not installed (apt-get install -y strace)';
  else if (p.elapsed() > BUDGET - 20) straceNote = 'syscalls/op skipped: out of time budget on this (slow) machine';
  else {
    for (const { case: name, failed } of results) {
      for (const impl of ['node', 'shim'].filter((i) => !failed.has(i))) {
        p.update(`${name} ${impl}: counting syscalls under strace`);
        if (NET[name]) {
          const s = await netRun(name, 1, true)(impl);
          sys[`${name} ${impl}`] = s.error ? NaN : s.syscalls / s.ops;
        } else {
          const s = straceChild(name, impl, Math.min(CASES[name].strace, CASES[name].demo));
          sys[`${name} ${impl}`] = s.error ? NaN : s.perOp;
        }
      }
    }
  }
  const elapsed = p.elapsed();
  p.done();

  const headers = ['workload', 'stock Node ops/s', 'uring-shim ops/s', 'ratio'];
  if (!straceNote) headers.push('syscalls/op node', 'syscalls/op shim');
  const rows = results.map((r) => {
    const row = [`${r.case} ${what(r.case)}`, fmtRate(r.node), fmtRate(r.shim), fmtRatio(r.ratio)];
    if (!straceNote) row.push(fmtNum(sys[`${r.case} node`], 1), fmtNum(sys[`${r.case} shim`], 1));
    return row;
  });
  console.log(`\nuring-shim vs stock Node ${process.version}: medians of ${ROUNDS} interleaved rounds, ` +
    'a fresh process for each run; ratio = uring-shim / stock Node\n' +
    'F: fs.promises, 64 operations in flight. N: loopback TCP; the server is the process under test, ' +
    `its load generator a ${loadGenerator().name}${PINNED ? ' on another CPU' : ''}; syscalls/op are the server's (all threads)\n`);
  console.log(table(headers, rows, [1, 2, 3, 4, 5]));
  if (straceNote) console.log(`\n(${straceNote})`);

  const backends = [...new Set(results.filter((r) => CASES[r.case]).map((r) => describeBackend(r.shimStats)))];
  console.log(`\nuring-shim backend: ${backends.join('; ')}`);
  if (!backends.some((b) => b.startsWith('io_uring'))) {
    console.log('Not running on io_uring here, so ratios around 1 are expected.');
  }
  const errors = results.flatMap((r) => r.errors.map((e) => `${r.case} ${e}`));
  for (const e of errors.slice(0, 4)) console.log(`error: ${e}`);
  if (errors.some((e) => /Cannot find|ERR_MODULE_NOT_FOUND/.test(e))) console.log('(is the package built? npm run build:ts)');
  console.log(`\ntook ${elapsed.toFixed(0)} s; the full benchmarks, with targets: npm run bench (fs), node bench/net/run.mjs (net)`);
  process.exitCode = errors.length ? 1 : 0;
} catch (e) {
  p.done();
  console.error(`demo failed: ${e?.message || e}`);
  if (e?.syscall) console.error(`(fixtures go to ${CACHE_DIR}; set URING_SHIM_BENCH_DIR to a writable directory)`);
  process.exitCode = 1;
}
