// The fallback, exercised for real: the differential suites run in child processes where the
// ring cannot be used (io_uring refused by seccomp, or URING_SHIM_DISABLE=1), and must pass
// unchanged; the fallback is never silent (stats and URING_SHIM_DEBUG say why).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// The differential suites (Node as the oracle). Add 'test/net' here when the socket suites land.
export const DIFFERENTIAL_SUITES = ['test/fs-promises', 'test/fs-callback'];

// Files that assert the ring itself carries calls: by design they fail when it is refused.
const RING_ONLY = new Set(['test/fs-promises/ring-carries.test.mjs']);

export function suiteFiles() {
  return DIFFERENTIAL_SUITES
    .filter((dir) => fs.existsSync(path.join(ROOT, dir)))
    .flatMap((dir) => fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => `${dir}/${f}`))
    .filter((f) => !RING_ONLY.has(f));
}

function childEnv(extra) {
  const env = { ...process.env };
  // The parent tap run's variables would make a child test file report as a subtest of it.
  for (const k of Object.keys(env)) if (k.startsWith('TAP')) delete env[k];
  for (const k of ['NODE_OPTIONS', 'URING_SHIM_DEBUG', 'URING_SHIM_DISABLE', 'URING_SHIM_STATS']) delete env[k];
  return { ...env, ...extra };
}

// Shipped to the child via toString(): the same calls through the shim and through Node.
async function workload(fsp, d) {
  const out = [];
  await fsp.writeFile(`${d}/f.txt`, 'hello world');
  out.push((await fsp.stat(`${d}/f.txt`)).size);
  const fh = await fsp.open(`${d}/f.txt`, 'r+');
  const r = await fh.read(Buffer.alloc(5), 0, 5, 0);
  out.push(r.bytesRead, r.buffer.toString());
  out.push((await fh.write('XY', 1)).bytesWritten);
  await fh.close();
  out.push(await fsp.readFile(`${d}/f.txt`, 'utf8'));
  out.push(await fsp.lstat(`${d}/nope`).catch((e) => [e.code, e.errno, e.syscall, e.message.replace(d, '<D>')]));
  return out;
}

export const WORKLOAD_APIS = ['writeFile', 'stat', 'open', 'readFile', 'lstat'];

export function runWorkload(prefix, env) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-refused-'));
  fs.mkdirSync(`${dir}/shim`);
  fs.mkdirSync(`${dir}/node`);
  const src = `${workload.toString()}
    const shim = await import('uring-shim/fs/promises');
    const node = await import('node:fs/promises');
    const { stats } = await import('uring-shim');
    const out = { shim: await workload(shim, ${JSON.stringify(`${dir}/shim`)}),
                  node: await workload(node, ${JSON.stringify(`${dir}/node`)}), stats: stats() };
    console.log(JSON.stringify(out));`;
  const [cmd, ...args] = [...prefix, process.execPath, '--input-type=module', '-e', src];
  try {
    const r = spawnSync(cmd, args, { cwd: ROOT, env: childEnv(env), encoding: 'utf8', timeout: 30_000 });
    return { ...r, result: r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').at(-1)) : null };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Runs one test file in a child (under `prefix`), with URING_SHIM_STATS to see what served it.
export function runTestFile(prefix, file, env) {
  const statsFile = path.join(os.tmpdir(), `uring-refused-stats-${process.pid}-${path.basename(file)}.json`);
  const [cmd, ...args] = [...prefix, process.execPath, file];
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: childEnv({ ...env, URING_SHIM_STATS: statsFile }), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      let stats = null;
      try { stats = JSON.parse(fs.readFileSync(statsFile, 'utf8')); } catch { /* reported below */ }
      fs.rmSync(statsFile, { force: true });
      resolve({ status, signal, output, stats });
    });
  });
}

export function refusedSuite(t, { prefix, env, reason }) {
  t.test('URING_SHIM_DEBUG=1 prints exactly one line naming the reason; stats() says it too', async (t) => {
    const r = runWorkload(prefix, { ...env, URING_SHIM_DEBUG: '1' });
    t.equal(r.status, 0, `child exits cleanly (${r.stderr})`);
    const lines = r.stderr.split('\n').filter(Boolean);
    t.equal(lines.length, 1, `one line on stderr: ${JSON.stringify(r.stderr)}`);
    t.match(lines[0], /^uring-shim: using Node's own fs and net: /, 'it says Node serves the calls');
    t.match(lines[0], reason, 'and why');
    const { shim, node, stats } = r.result;
    t.strictSame(shim, node, 'results are Node\'s');
    t.equal(stats.backend, 'node');
    t.match(stats.fallbackReason, reason, 'stats().fallbackReason names the reason');
    t.strictSame(stats.ring, {}, 'the ring carried nothing');
    t.equal(stats.enters, 0, 'no io_uring_enter');
    for (const api of WORKLOAD_APIS) t.ok(stats.delegated[api] > 0, `delegated.${api} counted (${stats.delegated[api]})`);
  });

  t.test('without URING_SHIM_DEBUG the fallback prints nothing', async (t) => {
    const r = runWorkload(prefix, env);
    t.equal(r.status, 0);
    t.equal(r.stderr, '', 'stderr is empty');
    t.match(r.result.stats.fallbackReason, reason);
  });

  const files = suiteFiles();
  t.ok(files.length >= 5, `differential suite files found (${files.length})`);
  for (const file of files) {
    t.test(`${file} passes through the fallback`, async (t) => {
      const r = await runTestFile(prefix, file, env);
      t.equal(r.signal, null, 'not killed');
      t.equal(r.status, 0, `exit status 0${r.status ? `\n${r.output.slice(-3000)}` : ''}`);
      t.match(r.output, /^# \{ total: [1-9]/m, 'it ran assertions');
      t.notMatch(r.output, /^\s*not ok /m, 'none failed');
      t.equal(r.stats?.backend, 'node', 'served by Node');
      t.match(r.stats?.fallbackReason, reason, 'with the reason recorded');
      t.strictSame(r.stats?.ring, {}, 'the ring carried nothing');
      // fs.promises counts what it hands to Node; without a ring the callback API *is* Node's
      // own functions (the same objects), so there is nothing of the shim's to count there.
      if (file.startsWith('test/fs-promises/')) {
        t.ok(Object.values(r.stats?.delegated ?? {}).reduce((a, b) => a + b, 0) > 0, 'calls were counted as delegated');
      }
    });
  }
}
