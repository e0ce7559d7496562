// What every callback function shares: Node's name, length and promisify properties; callback
// timing; a throwing callback costs no other completion and still surfaces as an uncaught
// exception; thousands of concurrent calls; the ring carried the calls (stats()).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import shimFs from 'uring-shim/fs';
import { stats } from 'uring-shim';
import { nodeMajor, normalise, capture, pattern } from '../helpers/twin.mjs';

const pkgRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { isRingBacked } = await import(`${pkgRoot}/dist/cjs/fs/ring-backed.js`);
const API = ['open', 'close', 'read', 'readv', 'write', 'writev', 'stat', 'lstat', 'fstat', 'fsync', 'fdatasync',
  'ftruncate', 'truncate', 'rename', 'unlink', 'rmdir', 'mkdir', 'link', 'symlink', 'readFile', 'writeFile', 'appendFile', 'copyFile'];
const ringOn = stats().backend === 'io_uring';

function tmpDir(t) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-cb-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test('name, length, symbol properties, ring-backed mark', async (t) => {
  for (const name of API) {
    const mine = shimFs[name];
    const node = fs[name];
    t.equal(mine.name, node.name, `${name}.name`);
    t.equal(mine.length, node.length, `${name}.length`);
    const symbols = (f) => Object.getOwnPropertySymbols(f).map((s) => [String(s), f[s]]);
    t.strictSame(symbols(mine), symbols(node), `${name}: Node's symbol-keyed properties`);
    t.equal(mine !== node, ringOn, `${name}: the shim's own function exactly when the ring is available`);
    t.equal(isRingBacked(mine), ringOn, `${name}: marked ring-backed exactly when it is the shim's`);
  }
  t.equal(shimFs.readSync, fs.readSync, 'sync API is Node\'s');
  t.equal(shimFs.promises, (await import('uring-shim/fs/promises')).default ?? shimFs.promises, 'promises is the shim\'s');
});

t.test('util.promisify forms resolve as Node\'s', async (t) => {
  const d = tmpDir(t);
  fs.writeFileSync(`${d}/f.txt`, 'hello world');
  const forms = {
    read: (f, fd) => util.promisify(f.read)(fd, Buffer.alloc(5), 0, 5, 2),
    'read(fd, {buffer})': (f, fd) => util.promisify(f.read)(fd, { buffer: Buffer.alloc(3), position: 0 }),
    write: (f, fd) => util.promisify(f.write)(fd, Buffer.from('AB'), 0, 2, 0),
    'write string': (f, fd) => util.promisify(f.write)(fd, 'CD', 2),
    readv: (f, fd) => util.promisify(f.readv)(fd, [Buffer.alloc(2), Buffer.alloc(2)], 0),
    writev: (f, fd) => util.promisify(f.writev)(fd, [Buffer.from('E')], 4),
    fstat: (f, fd) => util.promisify(f.fstat)(fd),
    stat: (f) => util.promisify(f.stat)(`${d}/f.txt`),
    'stat ENOENT': (f) => util.promisify(f.stat)(`${d}/missing`),
    open: (f) => util.promisify(f.open)(`${d}/f.txt`, 'r').then((fd) => { fs.closeSync(fd); return typeof fd; }),
    readFile: (f) => util.promisify(f.readFile)(`${d}/f.txt`, 'utf8'),
    'readFile ENOENT': (f) => util.promisify(f.readFile)(`${d}/missing`),
  };
  for (const [name, op] of Object.entries(forms)) {
    const out = {};
    for (const [impl, f] of [['node', fs], ['shim', shimFs]]) {
      const fd = fs.openSync(`${d}/f.txt`, 'r+');
      out[impl] = normalise(await capture(() => op(f, fd)), d);
      fs.closeSync(fd);
    }
    t.strictSame(out.shim, out.node, `promisify ${name}`);
    t.ok(out.node.outcome === 'resolve' || name.includes('ENOENT'), `oracle resolved ${name}`);
  }
});

t.test('callbacks are never called synchronously, even when the answer is known at once', async (t) => {
  const d = tmpDir(t);
  fs.writeFileSync(`${d}/f.txt`, 'x');
  const fd = fs.openSync(`${d}/f.txt`, 'r+');
  t.teardown(() => fs.closeSync(fd));
  const calls = [
    (cb) => shimFs.read(fd, Buffer.alloc(4), 0, 0, 0, cb),
    (cb) => shimFs.writev(fd, [], cb),
    (cb) => shimFs.stat(`${d}/f.txt`, cb),
    (cb) => shimFs.readFile(fd, cb),
    (cb) => shimFs.writeFile(fd, '', cb),
  ];
  for (const [i, call] of calls.entries()) {
    let returned = false;
    await new Promise((resolve) => {
      call(() => { t.ok(returned, `call ${i} called back after returning`); resolve(); });
      returned = true;
    });
  }
});

// Runs `src` (CommonJS) in a child with the shim's fs as `fs`; returns its status and output.
function child(src, env = {}) {
  const prelude = `const fs = require(${JSON.stringify(`${pkgRoot}/dist/cjs/fs/index.js`)});\n`;
  return spawnSync(process.execPath, ['-e', prelude + src], { cwd: pkgRoot, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
}

t.test('a throwing callback: every other completion is still delivered, the error surfaces as uncaught', async (t) => {
  // 3000 stats in flight: more than one batch (1024) of completions; every 700th callback throws.
  const src = `
    const N = 3000;
    let delivered = 0;
    const uncaught = [];
    process.on('uncaughtException', (e) => uncaught.push(e.message));
    for (let i = 0; i < N; i++) {
      fs.stat(__dirname, (err) => {
        if (err) throw err;
        delivered++;
        if (i % 700 === 0) throw new Error('boom ' + i);
      });
    }
    process.on('exit', () => console.log(JSON.stringify({ delivered, uncaught: uncaught.sort(), largestBatch: require(${JSON.stringify(pkgRoot)}).stats().largestBatch })));`;
  const r = child(src);
  t.equal(r.status, 0, `child exited cleanly ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  t.equal(out.delivered, 3000, `every completion delivered (largest batch ${out.largestBatch})`);
  t.strictSame(out.uncaught, ['boom 0', 'boom 1400', 'boom 2100', 'boom 2800', 'boom 700'], 'each thrown error reached uncaughtException once');

  // No handler: the process dies of the first error, as it does under Node.
  const fatal = `fs.stat(__dirname, () => { throw new Error('fatal boom'); }); fs.stat(__dirname, () => {});`;
  const shim = child(fatal);
  const node = spawnSync(process.execPath, ['-e', `const fs = require('fs');\n${fatal}`], { encoding: 'utf8' });
  t.equal(shim.status, node.status, `exit status as Node's (${node.status})`);
  t.match(shim.stderr, /Error: fatal boom/, 'the error is printed');
  t.equal(shim.stderr.split('\n').find((l) => l.startsWith('Error')), node.stderr.split('\n').find((l) => l.startsWith('Error')), 'same error line');
});

t.test('thousands of concurrent operations give Node\'s results', async (t) => {
  const root = tmpDir(t);
  const N = 2000;
  const run = (f, d) => new Promise((resolve, reject) => {
    fs.mkdirSync(d);
    for (let j = 0; j < 50; j++) fs.writeFileSync(`${d}/s${j}`, pattern(1000 * j + 1, j));
    const results = new Array(N);
    let pending = N;
    const done = (i) => (err, ...values) => {
      results[i] = err ? err.code : values.map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : typeof v === 'object' ? v.size : v));
      if (--pending === 0) resolve(results);
    };
    for (let i = 0; i < N; i++) {
      switch (i % 5) {
        case 0: f.writeFile(`${d}/w${i}`, pattern(100 + i, i).toString('latin1'), done(i)); break;
        case 1: f.stat(`${d}/s${i % 50}`, done(i)); break;
        case 2: f.readFile(`${d}/s${i % 50}`, done(i)); break;
        case 3: f.open(`${d}/missing${i}`, done(i)); break;
        default: f.open(fileURLToPath(import.meta.url), (err, fd) => {
          if (err) return reject(err);
          f.read(fd, Buffer.alloc(16), 0, 16, i % 100, (e, n, b) => f.close(fd, () => done(i)(e, n, b)));
        });
      }
    }
  });
  const node = await run(fs, `${root}/node`);
  const shim = await run(shimFs, `${root}/shim`);
  t.equal(shim.filter((r) => r !== undefined).length, N, 'every callback called');
  t.strictSame(shim, node, 'every result as Node\'s');
  t.strictSame(fs.readdirSync(`${root}/shim`).sort(), fs.readdirSync(`${root}/node`).sort(), 'same files written');
  const differing = fs.readdirSync(`${root}/node`).filter((name) => !fs.readFileSync(`${root}/shim/${name}`).equals(fs.readFileSync(`${root}/node/${name}`)));
  t.strictSame(differing, [], 'every file has Node\'s bytes');
});

t.test('callbacks run in the caller\'s async context (AsyncLocalStorage), as Node\'s do', async (t) => {
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const als = new AsyncLocalStorage();
  const d = tmpDir(t);
  fs.writeFileSync(`${d}/f.txt`, 'hello');
  const calls = {
    stat: (f, cb) => f.stat(`${d}/f.txt`, cb),
    'stat ENOENT': (f, cb) => f.stat(`${d}/missing`, cb),
    open: (f, cb) => f.open(`${d}/f.txt`, (e, fd) => { fs.closeSync(fd); cb(e); }),
    read: (f, cb) => { const fd = fs.openSync(`${d}/f.txt`); f.read(fd, Buffer.alloc(2), 0, 2, 0, (e) => { fs.closeSync(fd); cb(e); }); },
    readFile: (f, cb) => f.readFile(`${d}/f.txt`, cb),
    'readFile ENOENT': (f, cb) => f.readFile(`${d}/missing`, cb),
    writeFile: (f, cb) => f.writeFile(`${d}/w.txt`, 'x', cb),
    'writeFile fd': (f, cb) => { const fd = fs.openSync(`${d}/w2.txt`, 'w'); f.writeFile(fd, 'x', (e) => { fs.closeSync(fd); cb(e); }); },
    truncate: (f, cb) => f.truncate(`${d}/w.txt`, 0, cb),
    mkdir: (f, cb) => f.mkdir(`${d}/m`, (e) => f.rmdir(`${d}/m`, () => cb(e))),
    'mkdir recursive': (f, cb) => f.mkdir(`${d}/r/s`, { recursive: true }, (e) => fs.rm(`${d}/r`, { recursive: true }, () => cb(e))),
    copyFile: (f, cb) => f.copyFile(`${d}/f.txt`, `${d}/c.txt`, cb),
  };
  for (const [name, call] of Object.entries(calls)) {
    const seen = {};
    for (const [impl, f] of [['node', fs], ['shim', shimFs]]) {
      seen[impl] = await new Promise((resolve) => als.run({ impl, name }, () => call(f, () => resolve(als.getStore()))));
    }
    t.strictSame(seen.node, { impl: 'node', name }, `${name}: Node's callback sees the caller's store`);
    t.strictSame(seen.shim, { impl: 'shim', name }, `${name}: the shim's too`);
  }
});

t.test('the ring carried the calls', { skip: ringOn ? false : 'ring not available' }, async (t) => {
  const d = tmpDir(t);
  const before = stats();
  const p = util.promisify;
  const f = shimFs;
  await p(f.writeFile)(`${d}/a`, 'hello');
  await p(f.appendFile)(`${d}/a`, '!');
  await p(f.readFile)(`${d}/a`);
  const fd = await p(f.open)(`${d}/a`, 'r+');
  await p(f.read)(fd, Buffer.alloc(2), 0, 2, 0);
  await p(f.readv)(fd, [Buffer.alloc(2)], 0);
  await p(f.write)(fd, 'x', 0);
  await p(f.writev)(fd, [Buffer.from('y')], 0);
  await p(f.fstat)(fd);
  await p(f.fsync)(fd);
  await p(f.fdatasync)(fd);
  await p(f.ftruncate)(fd, 3);
  await p(f.close)(fd);
  await p(f.truncate)(`${d}/a`, 2);
  await p(f.stat)(`${d}/a`);
  await p(f.lstat)(`${d}/a`);
  await p(f.link)(`${d}/a`, `${d}/b`);
  await p(f.symlink)('a', `${d}/c`);
  await p(f.rename)(`${d}/b`, `${d}/b2`);
  await p(f.unlink)(`${d}/b2`);
  await p(f.mkdir)(`${d}/dir`);
  await p(f.rmdir)(`${d}/dir`);
  await p(f.copyFile)(`${d}/a`, `${d}/copy`);
  const after = stats();
  const ftruncateOnRing = (after.ring.ftruncate ?? 0) > (before.ring.ftruncate ?? 0) || (after.delegated.ftruncate ?? 0) > (before.delegated.ftruncate ?? 0);
  t.ok(ftruncateOnRing, 'ftruncate counted (ring on kernels with IORING_OP_FTRUNCATE, else delegated)');
  // Node 24 calls symlink's callback with its request as `this`, which the ring cannot give.
  const delegatedHere = nodeMajor >= 24 ? ['symlink'] : [];
  for (const api of API.filter((a) => a !== 'ftruncate' && a !== 'truncate' || (after.ring.ftruncate ?? 0) > (before.ring.ftruncate ?? 0))) {
    const counter = delegatedHere.includes(api) ? 'delegated' : 'ring';
    t.ok((after[counter][api] ?? 0) > (before[counter][api] ?? 0), `${counter}.${api} grew`);
  }
  t.ok(after.completions > before.completions, 'completions grew');
  t.equal(after.inFlight, 0, 'nothing left in flight');
});

t.test('fallback: with URING_SHIM_DISABLE=1 every function is Node\'s own', async (t) => {
  const r = child(`
    const node = require('fs');
    const names = ${JSON.stringify(API)};
    console.log(JSON.stringify(names.filter((n) => fs[n] !== node[n])));`, { URING_SHIM_DISABLE: '1' });
  t.equal(r.status, 0, r.stderr);
  t.strictSame(JSON.parse(r.stdout), [], 'no function replaced');
});
