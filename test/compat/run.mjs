#!/usr/bin/env node
// Runs Node.js's own test suite (test/parallel + test/sequential of Node 20.19.2, fetched by
// fetch-node.sh into a cache outside the repository) against plain node and under uring-shim,
// one child process per test, the way Node's tools/test.py does, and compares every result with
// test/compat/expectations.json (a ratchet: any change, better or worse, fails the run).
//
//   node test/compat/run.mjs [--modes plain,shim-argv,shim-env] [--groups fs,fs-stream,...]
//        [--filter SUBSTR] [--jobs N] [--timeout SECONDS] [--update] [--list] [--quiet]
//        [--register PATH] [--tree DIR] [--node PATH]
//
// Plain JavaScript, Node built-ins only.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { denyUringLauncher } from '../helpers/seccomp.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const EXPECTATIONS = path.join(HERE, 'expectations.json');
const NODE_TEST_VERSION = '20.19.2';
const CACHE = process.env.URING_SHIM_CACHE || path.join(os.homedir(), '.cache', 'uring-shim');
const DEFAULT_TREE = path.join(CACHE, `node-${NODE_TEST_VERSION}`);
const DEFAULT_REGISTER = path.join(REPO, 'dist', 'cjs', 'register.js');

// ---------------------------------------------------------------------------------------------
// Groups: the ONE place that decides which of Node's tests are in scope and how they are grouped.
// A test belongs to the first group whose `match` accepts it (so test-fs-promises-*stream* is in
// fs-promises, not fs-stream). `dirs` are the suites of Node's test/ dir the group draws from.
// To bring net/http/tls into scope later, add entries here (and run with --update to record them);
// `default: false` keeps a group out of the default selection until it is ready.
// ---------------------------------------------------------------------------------------------
const USES_FS = /\brequire\(\s*['"](?:node:)?fs(?:\/promises)?['"]\s*\)|\bfrom\s+['"](?:node:)?fs(?:\/promises)?['"]|\bimport\(\s*['"](?:node:)?fs(?:\/promises)?['"]\s*\)|\bfs\b/;
export const GROUPS = [
  { name: 'fs-promises', dirs: ['parallel', 'sequential'], match: (f) => /^test-fs-promises/.test(f) },
  { name: 'fs-stream', dirs: ['parallel', 'sequential'], match: (f) => /^test-fs-.*stream/.test(f) },
  { name: 'fs', dirs: ['parallel', 'sequential'], match: (f) => /^test-(fs|file)-/.test(f) },
  {
    name: 'stream', dirs: ['parallel', 'sequential'],
    match: (f, src) => /^test-(stream|readline-)/.test(f) && USES_FS.test(src()),
  },
  { name: 'net', dirs: ['parallel', 'sequential'], match: (f) => /^test-(net-|tcp-wrap|socket-|pipe)/.test(f) },
  { name: 'http', dirs: ['parallel', 'sequential'], match: (f) => /^test-http-/.test(f), default: false },
  { name: 'https-tls', dirs: ['parallel', 'sequential'], match: (f) => /^test-(https|tls)-/.test(f), default: false },
  // Not in the net issue's scope, but http2 servers and clients (gRPC's among them) run on
  // net's sockets too: a ring handle handed to http2's native session crashed the process.
  { name: 'http2', dirs: ['parallel', 'sequential'], match: (f) => /^test-http2-/.test(f), default: false },
];

// shim-seccomp: shim-argv under test/helpers/seccomp-deny-uring (io_uring refused with EPERM, as
// in a container's default seccomp profile): every call must fall back to Node and match plain.
// Not in the default selection; run it with --modes shim-seccomp.
const MODES = ['plain', 'shim-argv', 'shim-env', 'shim-seccomp'];
const DEFAULT_MODES = ['plain', 'shim-argv', 'shim-env'];
// Modes where the ring is expected to carry calls.
const RING_MODES = ['shim-argv', 'shim-env'];
const SHIM_MODES = MODES.filter((m) => m !== 'plain');
const STATUSES = ['pass', 'fail', 'skip', 'timeout'];
// Like test/testpy: test files are test-*.js / test-*.mjs; flags come from a `// Flags:` line.
const TEST_FILE = /^test-.*\.m?js$/;
const FLAGS_RE = /\/\/\s+Flags:(.*)/;
const ENV_RE = /\/\/\s+Env:(.*)/;
const SKIP_RE = /^1\.\.0 # Skipped:(.*)$/m;
const TAIL_LINES = 30;
const MAX_OUTPUT = 1 << 20; // keep the last 1 MiB of a test's output

// ---------------------------------------------------------------------------------------------
function usage(code) {
  const text = `usage: node test/compat/run.mjs [options]
  --modes a,b      modes to run: ${MODES.join(', ')} (default: ${DEFAULT_MODES.join(', ')})
  --groups a,b     groups to run: ${GROUPS.map((g) => g.name).join(', ')} (default: all default groups)
  --filter S,T     only tests whose name contains S (or T, ...)
  --jobs N         tests run in parallel (default 2; test/sequential tests always run one at a time)
  --timeout S      per-test timeout in seconds (default 60)
  --update         rewrite expectations.json with the results of this run
  --list           list the tests in scope (with group, flags and expectations) and exit
  --quiet          print only tests whose result is not "pass"
  --require-ring   fail the run when a group shows zero io_uring operations in a shim mode
  --register P     preload used by the shim modes (default: <repo>/dist/cjs/register.js)
  --tree DIR       Node test tree (default: \${URING_SHIM_CACHE:-~/.cache/uring-shim}/node-${NODE_TEST_VERSION})
  --node PATH      node binary the tests run on (default: this one). On another major version than
                   ${NODE_TEST_VERSION}'s, Node ${NODE_TEST_VERSION}'s tests may fail on plain node itself, so
                   the recorded expectations are not used: each shim mode is held to this run's
                   plain result, test by test (recorded known regressions still apply)`;
  (code ? console.error : console.log)(text);
  process.exit(code);
}

let opts;
try {
  opts = parseArgs({
    options: {
      modes: { type: 'string' },
      groups: { type: 'string' },
      filter: { type: 'string' },
      jobs: { type: 'string', default: '2' },
      timeout: { type: 'string', default: '60' },
      update: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      register: { type: 'string' },
      'require-ring': { type: 'boolean', default: false },
      tree: { type: 'string' },
      node: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (e) {
  console.error(e.message);
  usage(2);
}
if (opts.help) usage(0);

const csv = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
const modes = opts.modes ? csv(opts.modes) : [...DEFAULT_MODES];
const filters = opts.filter ? csv(opts.filter) : null;
for (const m of modes) if (!MODES.includes(m)) { console.error(`unknown mode: ${m}`); usage(2); }
const groupNames = opts.groups ? csv(opts.groups) : GROUPS.filter((g) => g.default !== false).map((g) => g.name);
for (const g of groupNames) if (!GROUPS.some((x) => x.name === g)) { console.error(`unknown group: ${g}`); usage(2); }
const jobs = Math.max(1, Number.parseInt(opts.jobs, 10) || 2);
const timeoutMs = Math.max(1, Number(opts.timeout) || 60) * 1000;
const treeRoot = path.resolve(opts.tree || process.env.URING_SHIM_NODE_TREE || DEFAULT_TREE);
const registerPath = path.resolve(opts.register || process.env.URING_SHIM_REGISTER || DEFAULT_REGISTER);
const nodeBin = opts.node ? path.resolve(opts.node) : process.execPath;
const nodeVersion = opts.node ? spawnSync(nodeBin, ['-p', 'process.version'], { encoding: 'utf8' }).stdout?.trim() : process.version;
if (!nodeVersion) {
  console.error(`--node ${nodeBin}: not a runnable node binary`);
  process.exit(2);
}
// The recorded expectations are results on Node ${NODE_TEST_VERSION}'s own major version.
const foreignNode = nodeVersion.split('.')[0] !== `v${NODE_TEST_VERSION.split('.')[0]}`;
if (foreignNode && opts.update) {
  console.error(`--update records results of Node ${NODE_TEST_VERSION}'s major version only (this is ${nodeVersion})`);
  process.exit(2);
}
const { launcher: seccompLauncher, reason: seccompUnavailable } = modes.includes('shim-seccomp')
  ? denyUringLauncher() : { launcher: null, reason: null };

if (!fs.existsSync(path.join(treeRoot, 'test', 'common', 'index.js'))) {
  console.error(`Node ${NODE_TEST_VERSION} test tree not found at ${treeRoot}.\n` +
    'Fetch it first:  bash test/compat/fetch-node.sh');
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Discovery
function discover() {
  const selected = GROUPS.filter((g) => groupNames.includes(g.name));
  const dirs = [...new Set(GROUPS.flatMap((g) => g.dirs))];
  const tests = [];
  for (const dir of dirs) {
    const abs = path.join(treeRoot, 'test', dir);
    if (!fs.existsSync(abs)) continue;
    for (const file of fs.readdirSync(abs).sort()) {
      if (!TEST_FILE.test(file)) continue;
      const full = path.join(abs, file);
      let source;
      const src = () => (source ??= fs.readFileSync(full, 'utf8'));
      // First matching group (over ALL groups, so selecting a subset never changes membership).
      const group = GROUPS.find((g) => g.dirs.includes(dir) && g.match(file, src));
      if (!group || !selected.includes(group)) continue;
      const id = `${dir}/${file}`;
      if (filters && !filters.some((f) => id.includes(f))) continue;
      const flagsMatch = FLAGS_RE.exec(src());
      const envMatch = ENV_RE.exec(src());
      const env = {};
      if (envMatch) {
        for (const kv of envMatch[1].trim().split(/\s+/).filter(Boolean)) {
          const i = kv.indexOf('=');
          if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
        }
      }
      tests.push({
        id, dir, file, full, group: group.name,
        flags: flagsMatch ? flagsMatch[1].trim().split(/\s+/).filter(Boolean) : [],
        env,
        sequential: dir === 'sequential',
      });
    }
  }
  return tests;
}

// ---------------------------------------------------------------------------------------------
// Expectations
function loadExpectations() {
  if (!fs.existsSync(EXPECTATIONS)) return { tests: {} };
  const data = JSON.parse(fs.readFileSync(EXPECTATIONS, 'utf8'));
  data.tests ??= {};
  return data;
}
let expected = loadExpectations();
// Expected status(es) of a test in a mode: an array of acceptable statuses, or null if none recorded.
function recorded(id, mode) {
  const e = expected.tests[id];
  if (!e || e[mode] === undefined) return null;
  if (foreignNode && !(mode !== 'plain' && e.knownRegression)) return null;
  return Array.isArray(e[mode]) ? e[mode] : [e[mode]];
}
function reasonOf(id, mode) {
  const e = expected.tests[id];
  if (!e) return '';
  return (e.reasons && e.reasons[mode]) || e.reason || '';
}

const tests = discover();

if (opts.list) {
  for (const t of tests) {
    const parts = MODES.map((m) => `${m}=${(recorded(t.id, m) || ['-']).join('|')}`);
    console.log(`${t.group.padEnd(12)} ${t.id.padEnd(60)} ${parts.join(' ')}` +
      `${t.flags.length ? `  flags: ${t.flags.join(' ')}` : ''}`);
  }
  const byGroup = {};
  for (const t of tests) byGroup[t.group] = (byGroup[t.group] || 0) + 1;
  console.log(`${tests.length} tests: ${Object.entries(byGroup).map(([g, n]) => `${g} ${n}`).join(', ')}`);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Running one test
const runRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-shim-compat-'));
const statsDir = path.join(runRoot, 'stats');
fs.mkdirSync(statsDir);
let statsSeq = 0;

function cleanupRunRoot() {
  try { fs.rmSync(runRoot, { recursive: true, force: true, maxRetries: 3 }); } catch { /* best effort */ }
}

function workerDir(slot) {
  // A fresh NODE_TEST_DIR per worker; emptied before each test so no test sees another's leftovers.
  const dir = path.join(runRoot, `w${slot}`);
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const children = new Set();
function killGroup(child, signal) {
  try { process.kill(-child.pid, signal); } catch { /* already gone */ }
}

function runOne(test, mode, slot) {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.NODE_PATH; // as tools/test.py
    delete env.NODE_OPTIONS;
    delete env.URING_SHIM_STATS;
    delete env.NODE_TEST_DIR;
    delete env.TEST_SERIAL_ID;
    // Node ${NODE_TEST_VERSION}'s test/common fails every test on a newer Node for globals it did
    // not know yet (navigator, ...): its leak check is about Node, not about the shim.
    if (foreignNode) env.NODE_TEST_KNOWN_GLOBALS = '0';
    Object.assign(env, test.env, {
      NODE_TEST_DIR: workerDir(slot),
      TEST_THREAD_ID: String(slot),
      TEST_PARALLEL: test.sequential ? '0' : '1',
    });
    const args = [];
    let statsFile = null;
    if (mode !== 'plain') {
      statsFile = path.join(statsDir, `${mode}-${++statsSeq}.json`);
      env.URING_SHIM_STATS = statsFile;
      if (mode === 'shim-argv' || mode === 'shim-seccomp') args.push('--require', registerPath);
      else env.NODE_OPTIONS = `--require ${JSON.stringify(registerPath)}`;
    }
    args.push(...test.flags, test.full);

    const started = Date.now();
    const [command, ...argv] = mode === 'shim-seccomp' ? [seccompLauncher, nodeBin, ...args] : [nodeBin, ...args];
    const child = spawn(command, argv, {
      cwd: treeRoot, // tools/test.py runs from the root of Node's tree
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so a timeout kills the test and everything it spawned
    });
    children.add(child);
    let out = '';
    const onData = (d) => {
      out += d.toString('utf8');
      if (out.length > 2 * MAX_OUTPUT) out = out.slice(-MAX_OUTPUT);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);

    let timedOut = false;
    let exitInfo = null;
    let settled = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGTERM');
      setTimeout(() => killGroup(child, 'SIGKILL'), 2000).unref();
    }, timeoutMs);

    const finish = (code, signal, spawnError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      children.delete(child);
      if (out.length > MAX_OUTPUT) out = out.slice(-MAX_OUTPUT);
      let status;
      let detail = '';
      if (spawnError) {
        status = 'fail';
        detail = `spawn error: ${spawnError.message}`;
      } else if (timedOut) {
        status = 'timeout';
        detail = `timed out after ${timeoutMs / 1000}s`;
      } else if (code === 0) {
        const skip = SKIP_RE.exec(out);
        status = skip ? 'skip' : 'pass';
        if (skip) detail = skip[1].trim();
      } else {
        status = 'fail';
        detail = signal ? `killed by ${signal}` : `exit code ${code}`;
      }
      resolve({
        test, mode, status, detail, output: out, statsFile,
        ms: Date.now() - started,
        command: `${mode === 'shim-env' ? `NODE_OPTIONS='${env.NODE_OPTIONS}' ` : ''}` +
          `${mode === 'shim-seccomp' ? `${seccompLauncher} ` : ''}` +
          `node ${args.map((a) => (a === test.full ? test.id : a)).join(' ')}`,
      });
    };
    child.on('error', (err) => finish(null, null, err));
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      // Leftover grandchildren may keep the pipes open: kill the group, then give the pipes a
      // moment to drain before settling.
      killGroup(child, 'SIGKILL');
      setTimeout(() => finish(code, signal), 2000).unref();
    });
    child.on('close', () => {
      if (exitInfo) finish(exitInfo.code, exitInfo.signal);
    });
  });
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const c of children) killGroup(c, 'SIGKILL');
    cleanupRunRoot();
    process.exit(130);
  });
}

// ---------------------------------------------------------------------------------------------
// Stats written by the shim (URING_SHIM_STATS): one JSON object, or one JSON object per line
// (JSONL, e.g. one per process when a test spawns children that inherit the variable).
function readStats(file) {
  if (!file || !fs.existsSync(file)) return null;
  const text = fs.readFileSync(file, 'utf8').trim();
  if (!text) return null;
  const objs = [];
  try {
    objs.push(JSON.parse(text));
  } catch {
    for (const line of text.split('\n')) {
      try { objs.push(JSON.parse(line)); } catch { /* ignore a torn line */ }
    }
  }
  if (!objs.length) return null;
  const ring = {};
  const backends = new Set();
  for (const o of objs) {
    if (o && o.backend) backends.add(String(o.backend));
    for (const [op, n] of Object.entries((o && o.ring) || {})) {
      if (typeof n === 'number' && Number.isFinite(n)) ring[op] = (ring[op] || 0) + n;
    }
  }
  return { ring, backends: [...backends], processes: objs.length };
}

// ---------------------------------------------------------------------------------------------
async function main() {
  const t0 = Date.now();
  const registerOk = fs.existsSync(registerPath);
  const runModes = modes.filter((m) => m === 'plain' || (registerOk && (m !== 'shim-seccomp' || seccompLauncher)));
  const unavailable = modes.filter((m) => !runModes.includes(m));

  console.log(`uring-shim compat: ${tests.length} tests (${groupNames.join(', ')}), ` +
    `modes ${modes.join(', ')}, jobs ${jobs}, timeout ${timeoutMs / 1000}s, node ${nodeVersion}, ` +
    `tests from Node ${NODE_TEST_VERSION} (${treeRoot})`);
  for (const m of unavailable) {
    console.log(`${m}: UNAVAILABLE — ${!registerOk ? `${path.relative(REPO, registerPath) || registerPath} does not exist ` +
      '(build it with `npm run build:ts`)' : seccompUnavailable}; this mode is not run and is not counted as passing`);
  }

  // Tasks: test/parallel tests with `jobs` workers, then test/sequential tests one at a time.
  const tasks = [];
  for (const t of tests) for (const m of runModes) tasks.push({ test: t, mode: m });
  const parallelTasks = tasks.filter((x) => !x.test.sequential);
  const sequentialTasks = tasks.filter((x) => x.test.sequential);
  const results = [];
  let done = 0;
  const total = tasks.length;
  const width = String(total).length;

  const report = (r) => {
    done++;
    results.push(r);
    const exp = expectedFor(r.test.id, r.mode, null);
    const unexpected = exp && !exp.includes(r.status);
    if (opts.quiet && r.status === 'pass' && !unexpected) return;
    console.log(`[${String(done).padStart(width)}/${total}] ${r.status.padEnd(7)} ${r.mode.padEnd(9)} ` +
      `${r.test.id} (${(r.ms / 1000).toFixed(1)}s)${r.detail ? ` ${r.detail}` : ''}` +
      `${unexpected ? `  <-- expected ${exp.join('|')}` : ''}`);
  };

  async function pool(list, n) {
    let next = 0;
    const worker = async (slot) => {
      while (next < list.length) {
        const task = list[next++];
        report(await runOne(task.test, task.mode, slot));
      }
    };
    await Promise.all(Array.from({ length: Math.min(n, list.length) }, (_, i) => worker(i)));
  }
  await pool(parallelTasks, jobs);
  await pool(sequentialTasks, 1);

  // ---- judge ---------------------------------------------------------------------------------
  const byKey = new Map(results.map((r) => [`${r.mode}\0${r.test.id}`, r]));
  // The plain result a shim mode is held to: this run's plain result, else the recorded one.
  function plainOf(id) {
    const r = byKey.get(`plain\0${id}`);
    if (r) return [r.status];
    return recorded(id, 'plain');
  }
  // What a result must equal: the recorded status for the mode; for a shim mode with nothing
  // recorded, the plain result.
  function expectedFor(id, mode, fallback = plainOf) {
    const rec = recorded(id, mode);
    if (rec) return rec;
    if (mode !== 'plain' && fallback) return fallback(id);
    return mode !== 'plain' ? recorded(id, 'plain') : null;
  }

  const judge = () => {
  const offenders = [];
  for (const r of results) {
    const why = [];
    if (r.mode !== 'plain') {
      const plain = plainOf(r.test.id);
      // A known regression is allowed only where recorded for this mode with its reason; it
      // stays visible in the summary and must be removed (rule b) the day the test passes.
      const known = expected.tests?.[r.test.id]?.knownRegression && recorded(r.test.id, r.mode);
      if (plain && plain.length === 1 && plain[0] === 'pass' && r.status !== 'pass' && !known) {
        why.push(`passes on plain node but is "${r.status}" under ${r.mode}`);
      }
    }
    const exp = expectedFor(r.test.id, r.mode);
    if (!exp && foreignNode && r.mode === 'plain') {
      // Nothing recorded for this Node version: its plain result is the reference, not judged.
    } else if (!exp) {
      why.push(`no expectation recorded (result: ${r.status}); run with --update and give a reason`);
    } else if (!exp.includes(r.status)) {
      const src = recorded(r.test.id, r.mode) ? 'recorded' : 'plain result';
      why.push(`status "${r.status}" differs from the expectation "${exp.join('|')}" (${src})` +
        (r.status === 'pass' ? ' — an unexpected pass: record it (the ratchet only moves forward)' : ''));
    }
    if (why.length) offenders.push({ r, why });
  }
  return offenders;
  };

  // ---- update --------------------------------------------------------------------------------
  // With --update the new results become the expectations; only rule (a) can still fail the run.
  if (opts.update) {
    updateExpectations(results, plainOf);
    expected = loadExpectations();
  }
  const offenders = judge();

  // Recorded non-pass expectations must say why.
  const noReason = [];
  for (const t of tests) {
    for (const m of runModes) {
      const exp = recorded(t.id, m);
      if (exp && exp.some((x) => x !== 'pass') && !reasonOf(t.id, m)) noReason.push(`${m} ${t.id}`);
    }
  }

  // ---- summary -------------------------------------------------------------------------------
  console.log('\n=== summary ===');
  const counts = { pass: 0, fail: 0, skip: 0, timeout: 0 };
  const zeroRing = [];
  const ringWhereRefused = [];
  for (const g of groupNames) {
    for (const m of runModes) {
      const rs = results.filter((r) => r.test.group === g && r.mode === m);
      if (!rs.length) continue;
      const c = { pass: 0, fail: 0, skip: 0, timeout: 0 };
      for (const r of rs) c[r.status]++;
      let line = `${g.padEnd(12)} ${m.padEnd(9)} ${String(rs.length).padStart(4)} tests: ` +
        `${c.pass} pass, ${c.fail} fail, ${c.skip} skip, ${c.timeout} timeout`;
      if (m !== 'plain') {
        const ring = ringSummary(rs);
        line += `\n${' '.repeat(23)}${ring.text}`;
        if (ring.total === 0 && RING_MODES.includes(m)) zeroRing.push(`${g} ${m}`);
        if (ring.total > 0 && !RING_MODES.includes(m)) ringWhereRefused.push(`${g} ${m}`);
      }
      console.log(line);
    }
  }
  for (const r of results) counts[r.status]++;
  for (const m of unavailable) console.log(`${m}: UNAVAILABLE (no ${registerPath})`);
  if (noReason.length) {
    console.log(`\nWARNING: ${noReason.length} non-pass expectation(s) without a reason in expectations.json:`);
    for (const x of noReason) console.log(`    ${x}`);
  }

  if (offenders.length) {
    console.log(`\n=== ${offenders.length} unexpected result(s) ===`);
    for (const { r, why } of offenders) {
      console.log(`\n--- ${r.mode} ${r.test.id} [${r.test.group}]: ${r.status}${r.detail ? ` (${r.detail})` : ''}`);
      for (const w of why) console.log(`    ${w}`);
      const reason = reasonOf(r.test.id, r.mode);
      if (reason) console.log(`    recorded reason: ${reason}`);
      console.log(`    command (cwd ${treeRoot}): ${r.command}`);
      const lines = r.output.replace(/\s+$/, '').split('\n');
      console.log(`    last ${Math.min(TAIL_LINES, lines.length)} lines of output:`);
      for (const l of lines.slice(-TAIL_LINES)) console.log(`    | ${l}`);
    }
  }

  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (zeroRing.length) {
    console.log(`\n${opts['require-ring'] ? 'ERROR' : 'WARNING'}: zero io_uring operations recorded for: ` +
      `${zeroRing.join(', ')}`);
  }
  if (ringWhereRefused.length) {
    console.log(`\nERROR: io_uring operations recorded where io_uring is refused: ${ringWhereRefused.join(', ')}`);
  }
  const ringFailed = (opts['require-ring'] && zeroRing.length > 0) || ringWhereRefused.length > 0;
  const failed = offenders.length > 0 || unavailable.length > 0 || ringFailed;
  console.log(`\n${failed ? 'FAILED' : 'OK'}: ${results.length} results in ${secs}s` +
    `${offenders.length ? `, ${offenders.length} unexpected` : ''}` +
    `${unavailable.length ? `, mode(s) unavailable: ${unavailable.join(', ')}` : ''}` +
    `${ringFailed ? (ringWhereRefused.length ? ', ring operations where io_uring is refused' : ', zero ring operations (--require-ring)') : ''}` +
    `${opts.update ? `, expectations written to ${path.relative(process.cwd(), EXPECTATIONS)}` : ''}`);
  // The closing line counts as failures only results that break an expectation; recorded
  // non-passes (each with its reason) are reported on the line above it.
  const recordedNonPass = counts.fail + counts.timeout - offenders.filter((o) => o.r.status !== 'pass' && o.r.status !== 'skip').length;
  if (recordedNonPass > 0) console.log(`${recordedNonPass} non-pass results are recorded expectations (see expectations.json for the reasons)`);
  console.log(`${counts.pass} passed, ${offenders.length} failed, ${counts.skip} skipped`);
  cleanupRunRoot();
  process.exitCode = failed ? 1 : 0;
}

function ringSummary(rs) {
  const ring = {};
  let withStats = 0;
  let zero = 0;
  const backends = new Set();
  for (const r of rs) {
    const s = readStats(r.statsFile);
    if (!s) continue;
    withStats++;
    s.backends.forEach((b) => backends.add(b));
    let n = 0;
    for (const [op, v] of Object.entries(s.ring)) { ring[op] = (ring[op] || 0) + v; n += v; }
    if (!n) zero++;
  }
  const totalOps = Object.values(ring).reduce((a, b) => a + b, 0);
  const ops = Object.entries(ring).filter(([, v]) => v).sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}=${v}`).join(' ');
  let s = `ring ops: ${totalOps}${ops ? ` (${ops})` : ''}; stats from ${withStats}/${rs.length} tests` +
    `${backends.size ? `, backend ${[...backends].join('/')}` : ''}` +
    `${zero ? `, ${zero} with zero ring ops` : ''}`;
  if (totalOps === 0 && RING_MODES.includes(rs[0].mode)) s += '  <== ZERO RING OPERATIONS IN THIS GROUP (the shim did not reach io_uring)';
  return { text: s, total: totalOps };
}

function updateExpectations(results, plainOf) {
  const ids = new Set(tests.map((t) => t.id));
  const out = { ...expected, tests: { ...expected.tests } };
  out.comment = out.comment || 'Generated by `node test/compat/run.mjs --update`; see test/compat/README.md. ' +
    'Per test: group, status per mode (pass|fail|skip|timeout, or an array of accepted statuses), ' +
    'and a reason for any non-pass. A shim mode with no entry must match the plain result.';
  out.node = { tests: NODE_TEST_VERSION, binary: process.version };
  // Drop entries of tests that no longer exist in the groups that were run in full.
  if (!opts.filter) {
    for (const [id, e] of Object.entries(out.tests)) {
      if (groupNames.includes(e.group) && !ids.has(id)) delete out.tests[id];
    }
  }
  let todo = 0;
  for (const r of results) {
    const id = r.test.id;
    const e = { ...(out.tests[id] || {}) };
    e.group = r.test.group;
    const prev = e[r.mode];
    if (r.mode !== 'plain') {
      // Shim modes are recorded only where they differ from plain; equal to plain = no entry.
      const plain = plainOf(id);
      if (plain && plain.length === 1 && plain[0] === r.status) {
        delete e[r.mode];
        if (e.reasons) delete e.reasons[r.mode];
      } else {
        e[r.mode] = r.status;
      }
    } else if (!(Array.isArray(prev) && prev.includes(r.status))) {
      e.plain = r.status; // keep a recorded array of accepted statuses if it still holds
    }
    const changed = JSON.stringify(prev) !== JSON.stringify(e[r.mode]);
    if (e[r.mode] !== undefined && r.status !== 'pass' && (changed || !e.reason)) {
      const auto = r.status === 'skip' ? `skipped by the test: ${r.detail}` : `TODO: explain (${r.status}: ${r.detail})`;
      if (r.mode === 'plain') {
        if (changed || !e.reason) e.reason = auto;
      } else {
        e.reasons = { ...(e.reasons || {}), [r.mode]: auto };
      }
      if (!auto.startsWith('skipped')) todo++;
    }
    // A test passing in every recorded mode needs no reason.
    const statuses = MODES.map((m) => e[m]).filter((s) => s !== undefined).flat();
    if (statuses.every((s) => s === 'pass')) { delete e.reason; delete e.reasons; }
    if (e.reasons && !Object.keys(e.reasons).length) delete e.reasons;
    out.tests[id] = ordered(e);
  }
  out.tests = Object.fromEntries(Object.entries(out.tests).sort(([a], [b]) => a.localeCompare(b)));
  const { comment, node, tests: t, ...rest } = out;
  fs.writeFileSync(EXPECTATIONS, JSON.stringify({ comment, node, ...rest, tests: t }, null, 2) + '\n');
  if (todo) console.log(`\nNOTE: ${todo} new non-pass result(s) recorded with a TODO reason: edit ${EXPECTATIONS}`);
}

function ordered(e) {
  const o = { group: e.group };
  for (const m of MODES) if (e[m] !== undefined) o[m] = e[m];
  if (e.reason) o.reason = e.reason;
  if (e.reasons) o.reasons = e.reasons;
  for (const [k, v] of Object.entries(e)) if (!(k in o)) o[k] = v;
  return o;
}

// Validate the statuses in the expectations file early: a typo must not pass silently.
for (const [id, e] of Object.entries(expected.tests)) {
  for (const m of MODES) {
    if (e[m] === undefined) continue;
    for (const s of [e[m]].flat()) {
      if (!STATUSES.includes(s)) { console.error(`expectations.json: ${id}: bad status "${s}" for ${m}`); process.exit(2); }
    }
  }
}

await main();
