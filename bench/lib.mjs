// Shared by fs-workload.mjs, run.mjs and demo.mjs: case table, fixtures, the worker pool, the
// child runner (plain and under strace), statistics and the markdown table printer.
// Everything here uses node:fs directly (never the shim): it is harness, not workload.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const KiB = 1024;
const MiB = 1024 * KiB;
export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const WORKLOAD = path.join(BENCH_DIR, 'fs-workload.mjs');
export const CACHE_DIR = process.env.URING_SHIM_BENCH_DIR || '/var/tmp/uring-shim-bench';
export const IN_FLIGHT = 64;

// Fixtures: FILES small files (F1, F2, F6 use the first `count` of them) and one BIG file (F3).
export const FILES = 10_000;
export const FILE_SIZE = 4 * KiB;
export const BIG_SIZE = 256 * MiB;
export const READ_SIZE = 4 * KiB; // F3
export const WRITE_SIZE = 64 * KiB; // F4
export const fixtureFile = (i) => path.join(CACHE_DIR, 'files', `f${String(i).padStart(5, '0')}`);
export const BIG_FILE = path.join(CACHE_DIR, 'big-256m.bin');

// count = operations per timed pass (F4: number of 64 KiB writes). quick: --quick smoke tests;
// strace: the extra syscall-count run (strace slows syscall-heavy code 10-50x); demo: demo.mjs.
export const CASES = {
  F1: { what: 'stat, distinct files', count: 10_000, quick: 1_000, strace: 2_000, demo: 5_000, target: 3.5 },
  F2: { what: 'readFile 4 KiB', count: 2_000, quick: 400, strace: 500, demo: 2_000, target: 6 },
  F3: { what: 'FileHandle.read 4 KiB, random, 256 MiB file', count: 100_000, quick: 5_000, strace: 5_000, demo: 20_000, target: 4.5 },
  F1cb: { what: 'fs.stat (callback), distinct files', count: 10_000, quick: 1_000, strace: 2_000, demo: 5_000, target: 3.5 },
  F3cb: { what: 'fs.read (callback) 4 KiB, random, 256 MiB file', count: 100_000, quick: 5_000, strace: 5_000, demo: 20_000, target: 4.5 },
  F4: { what: 'FileHandle.write 64 KiB, sequential, 1 in flight', count: BIG_SIZE / WRITE_SIZE, quick: 256, strace: 512, demo: 1_024, target: 2 },
  F6: { what: 'open + close', count: 10_000, quick: 1_000, strace: 2_000, demo: 5_000, target: 3.3 },
  // Streams: count = 64 KiB chunks per pass (4,096 = the whole 256 MiB file). Both sides use
  // node:fs; the shim side is node with `--require uring-shim/register`, as an app would run.
  F5: { what: 'fs.createReadStream 256 MiB → discarding Writable', count: BIG_SIZE / WRITE_SIZE, quick: 1_024, strace: 1_024, demo: 4_096, target: 2, register: true },
  F4s: { what: 'fs.createWriteStream 64 KiB writes, backpressure', count: BIG_SIZE / WRITE_SIZE, quick: 1_024, strace: 1_024, demo: 4_096, target: 2, register: true },
};
// The preload the shim side of `register` cases runs with.
export const REGISTER = path.join(BENCH_DIR, '..', 'dist', 'cjs', 'register.js');
export const maxCount = (name) => (['F1', 'F1cb', 'F2', 'F6'].includes(name) ? FILES : name === 'F5' || name === 'F4s' ? BIG_SIZE / WRITE_SIZE : Infinity);

// ---- fixtures (untimed, created once, reused) ---------------------------------------------------

const READY = path.join(CACHE_DIR, '.ready');
const FIXTURE_SPEC = JSON.stringify({ v: 1, FILES, FILE_SIZE, BIG_SIZE });

export function ensureFixtures(log = () => {}) {
  fs.mkdirSync(path.join(CACHE_DIR, 'files'), { recursive: true });
  // F4 scratch files of crashed runs (f4-<pid>.tmp whose pid is gone) would pin 256 MiB each.
  for (const name of fs.readdirSync(CACHE_DIR)) {
    const pid = /^f4-(\d+)\.tmp$/.exec(name)?.[1];
    if (pid && !pidAlive(Number(pid))) fs.rmSync(path.join(CACHE_DIR, name), { force: true });
  }
  if (readOr(READY) === FIXTURE_SPEC) return;
  log(`creating fixtures in ${CACHE_DIR} (once)`);
  const block = Buffer.alloc(FILE_SIZE);
  for (let i = 0; i < FILES; i++) {
    block.fill(i & 0xff);
    fs.writeFileSync(fixtureFile(i), block);
  }
  // Real data, not a sparse file: reading holes never populates the page cache like data does.
  const chunk = Buffer.alloc(MiB);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  const fd = fs.openSync(BIG_FILE, 'w');
  for (let off = 0; off < BIG_SIZE; off += chunk.length) fs.writeSync(fd, chunk, 0, chunk.length, off);
  fs.closeSync(fd);
  fs.writeFileSync(`${READY}.tmp`, FIXTURE_SPEC);
  fs.renameSync(`${READY}.tmp`, READY);
}

function readOr(file, fallback = null) {
  try { return fs.readFileSync(file, 'utf8'); } catch { return fallback; }
}
function pidAlive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

// ---- the worker pool ----------------------------------------------------------------------------

// Runs fn(i, worker) for i = 0..total-1 with `width` async loops, each taking the next index as
// soon as its previous operation settles, so `width` operations stay in flight. Stops handing out
// work after `deadline` (performance.now() ms) and returns how many operations completed.
export async function pool(total, width, fn, deadline = Infinity) {
  let next = 0;
  const loop = async (worker) => {
    while (next < total && performance.now() < deadline) await fn(next++, worker);
  };
  await Promise.all(Array.from({ length: Math.min(width, total) }, (_, w) => loop(w)));
  return next;
}

// The same pool for the callback API, with no promise per operation: fn(i, worker, next) starts
// one operation and calls next() from its callback.
export function callbackPool(total, width, fn, deadline = Infinity) {
  let next = 0;
  return new Promise((resolve) => {
    let running = Math.min(width, total);
    const worker = (w) => {
      const step = () => {
        if (next < total && performance.now() < deadline) fn(next++, w, step);
        else if (--running === 0) resolve(next);
      };
      return step;
    };
    for (let w = 0, n = running; w < n; w++) worker(w)();
  });
}

// ---- child runner -------------------------------------------------------------------------------

// Children get a clean environment for both impls: NODE_OPTIONS could carry
// `--require uring-shim/register` into the "node" side, and UV_USE_IO_URING would turn on libuv's
// own io_uring in stock Node (off by default in Node 20). Both would silently void the A/B.
export const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && k !== 'UV_USE_IO_URING'));
export const strippedEnv = ['NODE_OPTIONS', 'UV_USE_IO_URING'].filter((k) => k in process.env);

// Runs one workload in a fresh process; returns the child's JSON result or { error }.
export function runChild(name, impl, { count, passes = 3, maxSeconds = 20, prefix = [], markers = false } = {}) {
  const args = [WORKLOAD, name, impl, '--count', String(count), '--passes', String(passes), '--max-seconds', String(maxSeconds)];
  if (markers) args.push('--markers');
  const preload = CASES[name]?.register && impl === 'shim' ? ['--require', REGISTER] : [];
  const cmd = [...prefix, process.execPath, ...preload, ...args];
  const r = spawnSync(cmd[0], cmd.slice(1), {
    env: childEnv, encoding: 'utf8', maxBuffer: 64 * MiB,
    timeout: (2 * maxSeconds + 30) * 1000, killSignal: 'SIGKILL', // + setup and warm-up
  });
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status === 0 && line?.startsWith('{')) return JSON.parse(line);
  const why = r.error?.message || (r.signal ? `killed by ${r.signal}` : `exit ${r.status}`);
  // The thrown error's own line, not the stack below it.
  const lines = (r.stderr || '').trim().split('\n').filter((l) => l.trim());
  const msg = lines.find((l) => /^\w*Error\b|^\[?ERR_|Error:/.test(l.trim())) ?? lines.at(-1);
  return { case: name, impl, error: `${why}${msg ? `: ${msg.trim()}` : ''}` };
}

export function haveStrace() {
  return spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
}

// Syscall counts for the timed section only, split by thread.
//
// Why not `strace -f -c`: -c sums the whole process (node startup, module loading, the warm-up
// pass) and cannot say which thread issued what. Instead we use `strace -f -ff -ttt -o DIR/t`:
// one trace file per thread (DIR/t.<tid>, the main thread's tid is the process pid), every line
// stamped with absolute time. The workload brackets its timed section with statSync() of two
// nonexistent marker paths, issued from the main thread; we count main-thread lines between the
// markers and other threads' lines whose timestamps fall between the markers' timestamps.
// Off-main-thread syscalls and futex wake-ups are the libuv thread-pool tell-tales. io_uring's
// own kernel workers (io-wq, SQPOLL) are kernel threads and are never traced.
export function straceChild(name, impl, count) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-shim-strace-'));
  try {
    const res = runChild(name, impl, { count, passes: 1, markers: true, prefix: ['strace', '-f', '-ff', '-ttt', '-o', path.join(dir, 't')] });
    if (res.error) return res;
    const lineRe = /^(\d+\.\d+) ([a-z_0-9]+)\(/;
    const parse = (f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n')
      .map((l) => lineRe.exec(l)).filter(Boolean).map((m) => ({ t: Number(m[1]), name: m[2], line: m.input }));
    const files = fs.readdirSync(dir);
    const main = parse(`t.${res.pid}`);
    const b = main.findIndex((s) => s.line.includes(MARK_BEGIN));
    const e = main.findIndex((s) => s.line.includes(MARK_END));
    if (b < 0 || e < b) return { ...res, error: 'strace: timed-section markers not found' };
    const [t0, t1] = [main[b].t, main[e].t];
    const byName = {};
    let total = 0;
    let offMain = 0;
    const count1 = (s, isMain) => { byName[s.name] = (byName[s.name] || 0) + 1; total++; if (!isMain) offMain++; };
    main.slice(b + 1, e).forEach((s) => count1(s, true));
    for (const f of files) {
      if (f === `t.${res.pid}`) continue;
      parse(f).filter((s) => s.t > t0 && s.t < t1).forEach((s) => count1(s, false));
    }
    const per = (n) => n / res.totalOps;
    return {
      case: name, impl, ops: res.totalOps, threads: files.length,
      perOp: per(total), uringEnterPerOp: per(byName.io_uring_enter || 0),
      futexPerOp: per(byName.futex || 0), offMainPerOp: per(offMain),
      top: Object.entries(byName).sort((x, y) => y[1] - x[1]).slice(0, 4).map(([k, v]) => [k, per(v)]),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
export const MARK_BEGIN = '/uring-shim-bench-mark/begin';
export const MARK_END = '/uring-shim-bench-mark/end';

// ---- statistics and formatting ------------------------------------------------------------------

export function median(xs) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// Runs `rounds` interleaved A/B rounds of one case, alternating which impl goes first each round
// (node,shim, shim,node, ...) so a slow drift of the machine does not favour either side.
// onStep(label) is called before each child. `run(impl)` runs one child and resolves to its
// result ({ opsPerSec, stats?, totalOps? } or { error }); the default runs the fs workload.
// Returns medians, the per-round ratio range and the last shim result (for its stats).
export async function abRounds(name, { rounds, count, maxSeconds, onStep = () => {}, run = (impl) => runChild(name, impl, { count, maxSeconds }) }) {
  const runs = { node: [], shim: [] };
  const errors = [];
  const failed = new Set(); // an impl that failed (or hung until killed) is not run again
  for (let r = 0; r < rounds; r++) {
    for (const impl of r % 2 ? ['shim', 'node'] : ['node', 'shim']) {
      if (failed.has(impl)) continue;
      onStep(`${name} round ${r + 1}/${rounds} ${impl}`);
      const res = await run(impl);
      if (res.error) { errors.push(`${impl}: ${res.error}`); failed.add(impl); }
      runs[impl][r] = res;
    }
  }
  const rate = (res) => res?.opsPerSec ?? NaN;
  const node = median(runs.node.map(rate));
  const shim = median(runs.shim.map(rate));
  const paired = runs.shim.map((sh, r) => rate(sh) / rate(runs.node[r])).filter(Number.isFinite);
  const lastShim = runs.shim.filter((x) => !x.error).pop();
  return {
    case: name, node, shim, ratio: shim / node,
    ratioRange: paired.length ? [Math.min(...paired), Math.max(...paired)] : null,
    samples: { node: runs.node.map(rate), shim: runs.shim.map(rate) },
    shimStats: lastShim?.stats ?? null, statsOps: lastShim?.totalOps, errors, failed,
  };
}

export const fmtRate = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
export const fmtNum = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');
export const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');

// Markdown table with padded columns; `right` = indexes of right-aligned (numeric) columns.
export function table(headers, rows, right = []) {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c ?? '')));
  const w = headers.map((_, i) => Math.max(3, ...cells.map((r) => r[i].length)));
  const pad = (c, i) => (right.includes(i) ? c.padStart(w[i]) : c.padEnd(w[i]));
  const line = (r) => `| ${r.map(pad).join(' | ')} |`;
  const rule = `|${w.map((n, i) => (right.includes(i) ? `${'-'.repeat(n + 1)}:` : '-'.repeat(n + 2))).join('|')}|`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
}

// Syscall table rows, shared by run.mjs and demo.mjs.
export const SYSCALL_HEADERS = ['case', 'impl', 'ops', 'syscalls/op', 'io_uring_enter/op', 'futex/op', 'off-main-thread/op', 'top syscalls (per op)'];
export function syscallRow(s) {
  if (s.error) return [s.case, s.impl, '', `error: ${s.error}`, '', '', '', ''];
  return [s.case, s.impl, s.ops, fmtNum(s.perOp), fmtNum(s.uringEnterPerOp), fmtNum(s.futexPerOp),
    fmtNum(s.offMainPerOp), s.top.map(([k, v]) => `${k} ${fmtNum(v)}`).join(', ')];
}

// What the shim said about itself (stats() is {} until the real implementation lands).
export function describeBackend(stats) {
  if (!stats || !Object.keys(stats).length) return 'unknown (stats() returned {} — stub build?)';
  if (!stats.backend) return `unknown (stats() has no backend: ${JSON.stringify(stats).slice(0, 120)})`;
  return stats.fallbackReason ? `${stats.backend} (fallback: ${stats.fallbackReason})` : String(stats.backend);
}
const sum = (o) => (o && typeof o === 'object' ? Object.values(o).reduce((a, b) => a + (Number(b) || 0), 0) : NaN);
export const SHIM_STATS_HEADERS = ['case', 'backend', 'ring calls/op', 'delegated calls/op', 'enters/op', 'largestBatch'];
export function shimStatsRow(name, stats, ops) {
  if (!stats) return [name, describeBackend(stats), '', '', '', ''];
  return [name, describeBackend(stats), fmtNum(sum(stats.ring) / ops), fmtNum(sum(stats.delegated) / ops),
    fmtNum(stats.enters / ops), stats.largestBatch ?? '—'];
}

// Progress on stderr: one line rewritten in place on a TTY, plain lines otherwise.
export function progress() {
  const tty = process.stderr.isTTY;
  const start = performance.now();
  let shown = false;
  return {
    update(msg) {
      const line = `[${((performance.now() - start) / 1000).toFixed(0).padStart(3)} s] ${msg}`;
      if (tty) { process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns || 80) - 1)}`); shown = true; }
      else process.stderr.write(`${line}\n`);
    },
    done() { if (tty && shown) process.stderr.write('\r\x1b[K'); shown = false; },
    elapsed: () => (performance.now() - start) / 1000,
  };
}

// Shared argv parser: --flag value / --flag=value / --bool.
export function parseArgs(argv, booleans = []) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { out._.push(a); continue; }
    const [k, v] = a.slice(2).split(/=(.*)/s);
    out[k] = v ?? (booleans.includes(k) ? true : argv[++i]);
  }
  return out;
}
