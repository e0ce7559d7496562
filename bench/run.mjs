#!/usr/bin/env node
// uring-shim vs stock Node, as ratios: `npm run bench` / `node bench/run.mjs [options]`
//   --cases F1,F3   subset of cases (default: all)
//   --rounds N      interleaved A/B rounds per case (default 5; 3 with --quick)
//   --quick         small counts and 3 rounds, for smoke tests
//   --max-seconds S cap on each timed pass (default 10; 2 with --quick)
//   --no-strace     skip the syscall table
//   --json FILE     also write all figures as JSON
// Progress goes to stderr, the tables to stdout. Exits 1 if any child failed (never for a
// missed target: that is what the table is for).
import fs from 'node:fs';
import os from 'node:os';
import {
  CASES, abRounds, straceChild, haveStrace, ensureFixtures, progress, parseArgs, table, strippedEnv,
  fmtRate, fmtRatio, fmtNum, SYSCALL_HEADERS, syscallRow, SHIM_STATS_HEADERS, shimStatsRow,
} from './lib.mjs';

const args = parseArgs(process.argv.slice(2), ['quick', 'no-strace']);
const quick = Boolean(args.quick);
// Case names are matched case-insensitively (f4s, F4S and F4s are one case).
const byUpper = new Map(Object.keys(CASES).map((n) => [n.toUpperCase(), n]));
const names = args.cases ? String(args.cases).split(',').map((s) => byUpper.get(s.trim().toUpperCase()) ?? s.trim()) : Object.keys(CASES);
const bad = names.filter((n) => !CASES[n]);
if (bad.length) { console.error(`unknown case(s): ${bad.join(', ')}; known: ${Object.keys(CASES).join(', ')}`); process.exit(2); }
const rounds = Number(args.rounds ?? (quick ? 3 : 5));
const maxSeconds = Number(args['max-seconds'] ?? (quick ? 2 : 10));
const strace = !args['no-strace'] && haveStrace();

const p = progress();
if (strippedEnv.length) console.error(`note: ${strippedEnv.join(', ')} removed from the children's environment`);
ensureFixtures((m) => p.update(m));

const results = [];
for (const name of names) {
  results.push(await abRounds(name, {
    rounds, maxSeconds, count: quick ? CASES[name].quick : CASES[name].count, onStep: (s) => p.update(s),
  }));
}
const syscalls = strace
  ? results.flatMap(({ case: name, failed }) => ['node', 'shim'].map((impl) => {
    if (failed.has(impl)) return { case: name, impl, error: 'failed in the timed rounds' };
    p.update(`${name} ${impl} under strace`);
    return straceChild(name, impl, Math.min(CASES[name].strace, quick ? CASES[name].quick : Infinity));
  }))
  : [];
const elapsed = p.elapsed();
p.done();

const cpu = os.cpus();
console.log(`## uring-shim vs node — ${new Date().toISOString().slice(0, 16)}Z, Node ${process.version}, ` +
  `${cpu.length} × ${cpu[0]?.model.trim()}, ${os.release()}${quick ? ', --quick' : ''}\n`);
console.log(`${rounds} interleaved rounds per case, fresh process each; ops/s are medians; ratio = median shim / median node, ` +
  'range = min–max of the per-round ratios.\n');
console.log(table(
  ['case', 'workload', 'node ops/s', 'shim ops/s', 'ratio shim/node', 'per-round range', 'target', 'met'],
  results.map((r) => {
    const c = CASES[r.case];
    return [r.case, c.what, fmtRate(r.node), fmtRate(r.shim), fmtRatio(r.ratio),
      r.ratioRange ? `${fmtNum(r.ratioRange[0])}–${fmtNum(r.ratioRange[1])}` : '—',
      `≥${c.target}`, r.ratio >= c.target ? 'yes' : 'no'];
  }),
  [2, 3, 4, 5, 6],
));
console.log('\nShim stats for the timed pass (last shim round):\n');
console.log(table(SHIM_STATS_HEADERS, results.map((r) => shimStatsRow(r.case, r.shimStats, r.statsOps)), [2, 3, 4, 5]));
if (strace) {
  console.log('\nSyscalls in the timed section (one extra run per impl under `strace -f -ff -ttt`, smaller count; ' +
    'off-main-thread = issued by threads other than the main one, e.g. the libuv pool):\n');
  console.log(table(SYSCALL_HEADERS, syscalls.map(syscallRow), [2, 3, 4, 5, 6]));
} else {
  console.log(`\n(syscall table skipped: ${args['no-strace'] ? '--no-strace' : 'strace not found; apt-get install -y strace'})`);
}
const errors = results.flatMap((r) => r.errors.map((e) => `${r.case} ${e}`));
for (const e of errors) console.log(`\nerror: ${e}`);
console.error(`bench: ${elapsed.toFixed(0)} s`);

if (args.json) {
  fs.writeFileSync(args.json, `${JSON.stringify({
    date: new Date().toISOString(), node: process.version, cpus: cpu.length, cpu: cpu[0]?.model, kernel: os.release(),
    quick, rounds, maxSeconds, results: results.map((r) => ({ ...r, failed: [...r.failed], target: CASES[r.case].target })), syscalls,
  }, null, 2)}\n`);
}
process.exitCode = errors.length ? 1 : 0;
