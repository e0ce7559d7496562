// The install story, as a user meets it: `npm pack` this repository, install the tarball into a
// fresh project (from npm's local cache when it can), then use it from CommonJS, from ESM under
// `--import uring-shim/register`, from TypeScript (`tsc --strict`), through `npx uring-shim`,
// and install it once more on a machine without cmake, where it must still work, through Node.
// Needs `npm run build:ts` first (the tarball is packed without running scripts).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const which = (cmd) => fs.realpathSync(spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim());
const npmCli = which('npm');
const envBin = which('env');
const typesNodeVersion = JSON.parse(fs.readFileSync(path.join(repo, 'node_modules/@types/node/package.json'), 'utf8')).version;
const toolchain = ['cmake', 'c++', 'pkg-config'].every((tool) => !spawnSync(tool, ['--version'], { stdio: 'ignore' }).error)
  && spawnSync('pkg-config', ['--exists', 'liburing']).status === 0;

t.setTimeout(420_000);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-shim-pack-'));
t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));

// Through env(1): tap's process-info hook adds its own --import to NODE_OPTIONS of every child
// it sees spawned, and its file reads would land in the ring counters checked here.
function run(t, label, cmd, args, options = {}) {
  const r = spawnSync(envBin, ['-u', 'NODE_OPTIONS', cmd, ...args], { encoding: 'utf8', timeout: 240_000, killSignal: 'SIGKILL', ...options });
  const ok = r.status === 0;
  t.ok(ok, label, ok ? {} : { status: r.status, signal: r.signal, error: r.error?.message, stdout: r.stdout?.slice(-2000), stderr: r.stderr?.slice(-2000) });
  return r;
}

function npm(t, label, cwd, args, env = process.env) {
  return run(t, label, process.execPath, [npmCli, ...args, '--no-audit', '--no-fund', '--prefer-offline'], { cwd, env });
}

function freshProject(name) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  fs.writeFileSync(path.join(dir, 'data.txt'), 'hello from the ring\n');
  return dir;
}

t.ok(fs.existsSync(path.join(repo, 'dist/cjs/index.js')), 'dist/ is built (npm run build:ts)');
const packed = run(t, 'npm pack', process.execPath, [npmCli, 'pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: repo });
const tarball = path.join(work, JSON.parse(packed.stdout)[0].filename);
const files = JSON.parse(packed.stdout)[0].files.map((f) => f.path);
for (const f of ['bench/demo.mjs', 'bench/lib.mjs', 'bench/fs-workload.mjs', 'bench/net/lib.mjs', 'bench/net/server.mjs', 'bench/net/load.mjs', 'dist/cjs/cli/index.js', 'types/fs/promises.d.ts', 'types/net/index.d.mts', 'native/ring.cc', 'CMakeLists.txt', 'scripts/build-native.mjs']) {
  t.ok(files.includes(f), `the tarball has ${f}`);
}
t.notOk(files.some((f) => f.startsWith('test/') || f.startsWith('build/')), 'the tarball has no tests and no prebuilt addon');

t.test('installed with a toolchain', { skip: !toolchain && 'no cmake/c++/pkg-config/liburing here' }, async (t) => {
  const app = freshProject('app');
  npm(t, 'npm install <tarball> @types/node', app, ['install', tarball, `@types/node@${typesNodeVersion}`]);
  const addon = path.join(app, 'node_modules/uring-shim/build/Release/uring_shim.node');
  t.ok(fs.existsSync(addon), 'the install script built the addon');

  const cjs = run(t, 'CommonJS require', process.execPath, ['-e', `
    const fsp = require('uring-shim/fs/promises');
    const { stats } = require('uring-shim');
    fsp.readFile('data.txt', 'utf8').then(async (text) => {
      const st = await fsp.stat('data.txt');
      console.log(JSON.stringify({ text, size: st.size, stats: stats() }));
    });`], { cwd: app });
  const out = JSON.parse(cjs.stdout);
  t.equal(out.text, 'hello from the ring\n');
  t.equal(out.size, 20);
  t.equal(out.stats.backend, 'io_uring', 'the ring is up');
  t.ok(out.stats.ring.readFile > 0 && out.stats.ring.stat > 0, 'the ring carried readFile and stat', out.stats.ring);

  fs.writeFileSync(path.join(app, 'esm.mjs'), `
    import { readFile, stat } from 'node:fs/promises';
    import fsDefault from 'node:fs';
    import * as shim from 'uring-shim/fs/promises';
    import { stats } from 'uring-shim';
    const text = await readFile('data.txt', 'utf8');
    await stat('data.txt');
    console.log(JSON.stringify({
      same: readFile === shim.readFile && stat === shim.stat && fsDefault.promises.readFile === shim.readFile,
      text, ring: stats().ring,
    }));`);
  const esm = run(t, 'ESM named imports under --import uring-shim/register', process.execPath, ['--import', 'uring-shim/register', 'esm.mjs'], { cwd: app });
  const e = JSON.parse(esm.stdout);
  t.ok(e.same, "node:fs/promises' named imports are the shim's functions");
  t.equal(e.text, 'hello from the ring\n');
  t.ok(e.ring.readFile > 0 && e.ring.stat > 0, 'the ring carried them', e.ring);

  for (const f of fs.readdirSync(path.join(repo, 'test/package/consumer'))) {
    fs.copyFileSync(path.join(repo, 'test/package/consumer', f), path.join(app, f));
  }
  run(t, 'tsc --strict on a consumer of fs/promises, fs, net (esm.mts, cjs.cts, @ts-expect-error negatives)', process.execPath,
    [path.join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: app });

  // What `npx uring-shim demo` runs in each child: the shipped workload, importing the installed
  // package by its own name (fixtures: the bench's shared cache directory).
  const workload = run(t, 'the demo workload runs from the installed package', process.execPath,
    [path.join(app, 'node_modules/uring-shim/bench/fs-workload.mjs'), 'F1', 'shim', '--count', '200', '--passes', '1'], { cwd: app });
  const w = JSON.parse(workload.stdout.trim().split('\n').pop());
  t.ok(w.opsPerSec > 0 && w.stats.ring.stat >= 200, 'and its stats come from the ring', w.stats);
  // Its net part: the installed server.mjs under the installed register, a stock-Node load.
  const statsFile = path.join(work, 'net-server-stats.json');
  const netLib = pathToFileURL(path.join(app, 'node_modules/uring-shim/bench/net/lib.mjs')).href;
  const echo = run(t, 'the demo net workload runs from the installed package', process.execPath, ['--input-type=module', '-e',
    `const { serverCase } = await import(${JSON.stringify(netLib)}); console.log(JSON.stringify(await serverCase('shim', 'echo', [4, 64, 0.3])));`],
  { cwd: app, env: { ...process.env, URING_SHIM_STATS: statsFile } });
  const { ops } = JSON.parse(echo.stdout);
  const server = JSON.parse(fs.readFileSync(statsFile, 'utf8'));
  t.ok(ops > 0, 'messages were echoed');
  t.ok(server.ring['net.Server'] === 1 && server.completions >= ops, 'by a ring listener, a ring completion per message at least', { ops, server });

  const doctor = spawnSync(envBin, ['-u', 'NODE_OPTIONS', process.execPath, npmCli, 'exec', '--offline', '--', 'uring-shim', 'doctor', '--json'], { cwd: app, encoding: 'utf8', timeout: 60_000 });
  t.equal(doctor.status, 0, 'npx uring-shim doctor exits 0', { stderr: doctor.stderr });
  const report = JSON.parse(doctor.stdout);
  t.equal(report.ring.addonPath, fs.realpathSync(addon), 'doctor reports the installed addon');
  t.ok(report.opcodeNames.includes('OPENAT'), 'doctor lists probed opcodes by name');
});

t.test('installed without cmake: one line, then Node\'s own modules', async (t) => {
  const app = freshProject('no-toolchain');
  // A PATH with node and sh only: the install script finds no cmake, as on a bare machine.
  const bin = path.join(work, 'bare-bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync(which('sh'), path.join(bin, 'sh'));
  const install = npm(t, 'npm install <tarball> succeeds', app, ['install', tarball, '--foreground-scripts'], { ...process.env, PATH: bin });
  const lines = install.stdout.split('\n').filter((l) => l.startsWith('uring-shim:'));
  t.same(lines, ["uring-shim: native addon not built: cmake is not installed; using Node's own fs and net."], 'the install printed one line saying what is missing');
  t.notOk(fs.existsSync(path.join(app, 'node_modules/uring-shim/build/Release/uring_shim.node')), 'no addon');

  const r = run(t, 'it still works, through Node', process.execPath, ['-e', `
    const fsp = require('uring-shim/fs/promises');
    const { stats } = require('uring-shim');
    fsp.readFile('data.txt', 'utf8').then((text) => console.log(JSON.stringify({ text, stats: stats() })));`],
  { cwd: app, env: { ...process.env, URING_SHIM_DEBUG: '1' } });
  const out = JSON.parse(r.stdout);
  t.equal(out.text, 'hello from the ring\n');
  t.equal(out.stats.backend, 'node');
  t.match(out.stats.fallbackReason, /native addon not built/);
  t.same(r.stderr.trim().split('\n'), [`uring-shim: using Node's own fs and net: ${out.stats.fallbackReason}`], 'URING_SHIM_DEBUG prints one line');

  const doctor = spawnSync(envBin, ['-u', 'NODE_OPTIONS', process.execPath, path.join(app, 'node_modules/uring-shim/dist/cjs/cli/index.js'), 'doctor'], { cwd: app, encoding: 'utf8', timeout: 60_000 });
  t.equal(doctor.status, 1, 'doctor exits 1');
  t.match(doctor.stdout, /addon\s+not built/, 'doctor says the addon is not built');
  t.match(doctor.stdout, /npm rebuild uring-shim/, 'and how to fix it');
});
