#!/usr/bin/env node
// A one-minute side-by-side: a few fs workloads with stock Node and with uring-shim, 3
// interleaved rounds each in fresh processes, then one table. `node bench/demo.mjs`
// Never fails because the shim fell back (no io_uring, old kernel, seccomp, ...): it then shows
// ratios around 1 and says why. Exits 1 only if a workload could not run at all.
import {
  CASES, CACHE_DIR, abRounds, straceChild, haveStrace, ensureFixtures, progress, table, describeBackend,
  fmtRate, fmtRatio, fmtNum,
} from './lib.mjs';

const NAMES = ['F1', 'F2', 'F3', 'F6'];
const ROUNDS = 3;
const BUDGET = 60; // seconds; the strace column is dropped if the timed rounds ate the budget

const p = progress();
try {
  ensureFixtures((m) => p.update(m));
  const results = NAMES.map((name) => abRounds(name, {
    rounds: ROUNDS, count: CASES[name].demo, maxSeconds: 2, onStep: (s) => p.update(`${s} (${CASES[name].what})`),
  }));

  let straceNote = null;
  const sys = {};
  if (!haveStrace()) straceNote = 'syscalls/op skipped: strace not installed (apt-get install -y strace)';
  else if (p.elapsed() > BUDGET - 15) straceNote = 'syscalls/op skipped: out of time budget on this (slow) machine';
  else {
    for (const { case: name, failed } of results) {
      for (const impl of ['node', 'shim'].filter((i) => !failed.has(i))) {
        p.update(`${name} ${impl}: counting syscalls under strace`);
        const s = straceChild(name, impl, Math.min(CASES[name].strace, CASES[name].demo));
        sys[`${name} ${impl}`] = s.error ? NaN : s.perOp;
      }
    }
  }
  const elapsed = p.elapsed();
  p.done();

  const headers = ['workload', 'stock Node ops/s', 'uring-shim ops/s', 'ratio'];
  if (!straceNote) headers.push('syscalls/op node', 'syscalls/op shim');
  const rows = results.map((r) => {
    const row = [`${r.case} ${CASES[r.case].what}`, fmtRate(r.node), fmtRate(r.shim), fmtRatio(r.ratio)];
    if (!straceNote) row.push(fmtNum(sys[`${r.case} node`], 1), fmtNum(sys[`${r.case} shim`], 1));
    return row;
  });
  console.log(`\nuring-shim vs stock Node ${process.version}: 64 operations in flight, ` +
    `medians of ${ROUNDS} interleaved rounds, a fresh process for each run\n`);
  console.log(table(headers, rows, [1, 2, 3, 4, 5]));
  if (straceNote) console.log(`\n(${straceNote})`);

  const backends = [...new Set(results.map((r) => describeBackend(r.shimStats)))];
  console.log(`\nuring-shim backend: ${backends.join('; ')}`);
  if (!backends.some((b) => b.startsWith('io_uring'))) {
    console.log('Not running on io_uring here, so ratios around 1 are expected.');
  }
  const errors = results.flatMap((r) => r.errors.map((e) => `${r.case} ${e}`));
  for (const e of errors.slice(0, 4)) console.log(`error: ${e}`);
  if (errors.some((e) => /Cannot find|ERR_MODULE_NOT_FOUND/.test(e))) console.log('(is the package built? npm run build:ts)');
  console.log(`\ntook ${elapsed.toFixed(0)} s; the full benchmark, with targets: npm run bench`);
  process.exitCode = errors.length ? 1 : 0;
} catch (e) {
  p.done();
  console.error(`demo failed: ${e?.message || e}`);
  if (e?.syscall) console.error(`(fixtures go to ${CACHE_DIR}; set URING_SHIM_BENCH_DIR to a writable directory)`);
  process.exitCode = 1;
}
