// The addon under AddressSanitizer + UBSan (`npm run build:asan`, built here when missing or
// older than its sources, one build at a time across parallel test files): test files run with
// it, preloading the ASan runtime into node (which is not instrumented), and must produce zero
// sanitizer reports. Leak detection is off: node itself leaves allocations behind at exit, and
// LSan cannot tell ours from its; what the ring frees is checked by teardown under ASan instead
// (use-after-free, double free, overflow), and the descriptor tests count what it leaves open.
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { ROOT } from './refused.mjs';

const ADDON = path.join(ROOT, 'build-asan', 'Asan', 'uring_shim.node');
const LOCK = path.join(ROOT, 'build-asan.lock');
const SOURCES = ['CMakeLists.txt', ...fs.readdirSync(path.join(ROOT, 'native')).map((f) => `native/${f}`)];
const REPORT = /ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer|SUMMARY: (Address|Undefined)/;

function runtime() {
  const r = spawnSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' });
  const file = r.stdout?.trim();
  return file && path.isAbsolute(file) && fs.existsSync(file) ? file : null;
}

function stale() {
  if (!fs.existsSync(ADDON)) return true;
  const built = fs.statSync(ADDON).mtimeMs;
  return SOURCES.some((f) => fs.statSync(path.join(ROOT, f)).mtimeMs > built);
}

function withLock(fn) {
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST' || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmdirSync(LOCK);
  }
}

function run(file, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.on('close', (status, signal) => { clearTimeout(timer); resolve({ status, signal, output }); });
  });
}

// Runs `files` (paths relative to the repository) under the sanitizer build, as subtests of t.
export function underAsan(t, files, extraEnv = {}) {
  const asan = runtime();
  if (!asan) {
    t.skip('no ASan runtime (gcc -print-file-name=libasan.so)');
    return;
  }
  t.test('the sanitizer build is current', async (t) => {
    const b = withLock(() => (stale()
      ? spawnSync(process.execPath, ['scripts/build-native.mjs', '--strict', '--asan'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 })
      : { status: 0 }));
    t.equal(b.status, 0, `npm run build:asan${b.status ? `\n${b.stdout}${b.stderr}` : ''}`);
    t.ok(fs.existsSync(ADDON), ADDON);
  });

  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('TAP')) delete env[k];
  delete env.NODE_OPTIONS;
  Object.assign(env, {
    URING_SHIM_ADDON: ADDON,
    LD_PRELOAD: asan,
    ASAN_OPTIONS: 'detect_leaks=0:halt_on_error=1:abort_on_error=0:exitcode=86:allocator_may_return_null=1',
    UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1:exitcode=87',
    ...extraEnv,
  });

  t.test('the ASan build is what the shim loads', async (t) => {
    const r = spawnSync(process.execPath, ['-e', `
      require('./dist/cjs/fs/promises.js').stat('.').then(() => {
        const maps = require('node:fs').readFileSync('/proc/self/maps', 'utf8');
        console.log(JSON.stringify({ backend: require('./dist/cjs/index.js').stats().backend, addon: maps.includes(process.env.URING_SHIM_ADDON), asan: /libasan/.test(maps) }));
      });`], { cwd: ROOT, env, encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    t.strictSame(JSON.parse(r.stdout), { backend: 'io_uring', addon: true, asan: true });
  });

  for (const file of files) {
    t.test(`${file} under ASan + UBSan`, async (t) => {
      const r = await run(file, env);
      t.notMatch(r.output, REPORT, 'no sanitizer report');
      t.equal(r.signal, null, 'not killed');
      t.equal(r.status, 0, `passes${r.status ? `\n${r.output.slice(-4000)}` : ''}`);
    });
  }
}
