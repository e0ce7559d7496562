// Resource limits: descriptors running out (RLIMIT_NOFILE), registered memory refused
// (RLIMIT_MEMLOCK), and far more operations queued at once than the SQ or the CQ holds.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as shim from 'uring-shim/fs/promises';
import { stats } from 'uring-shim';
import { pattern, fdCount } from '../helpers/twin.mjs';
import { ROOT, runTestFile } from '../helpers/refused.mjs';

const has = (tool) => !spawnSync(tool, ['--version'], { stdio: 'ignore' }).error;

function tmpdir(t) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-limits-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

// Runs `body` (the source of an async function of (shim, node, dir)) in a child node under
// `prefix`, returning what it printed as JSON on its last line.
function child(prefix, body, dir, env = {}) {
  const src = `
    const shim = require('./dist/cjs/fs/promises.js');
    const node = require('node:fs/promises');
    const { stats } = require('./dist/cjs/index.js');
    const fds = () => require('node:fs').readdirSync('/proc/self/fd').length;
    const view = (e) => e && { name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, message: e.message, keys: Object.keys(e) };
    (${body})(shim, node, process.argv[1]).then((out) => console.log(JSON.stringify({ out, stats: stats() })));`;
  const [cmd, ...args] = [...prefix, process.execPath, '-e', src, dir];
  const env2 = { ...process.env, ...env };
  delete env2.NODE_OPTIONS;
  const r = spawnSync(cmd, args, { cwd: ROOT, env: env2, encoding: 'utf8', timeout: 60_000 });
  return { ...r, json: r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').at(-1)) : null };
}

t.test('ulimit -n 256: EMFILE exactly as Node reports it, nothing leaked', async (t) => {
  const d = tmpdir(t);
  fs.writeFileSync(`${d}/f`, 'contents');
  const r = child(['sh', '-c', 'ulimit -n 256 && exec "$@"', 'sh'], async (shim, node, d) => {
    const f = `${d}/f`;
    // Warm both up (the ring, Node's thread pool), then count.
    await (await shim.open(f)).close();
    await (await node.open(f)).close();
    const start = fds();
    const out = { start };
    for (const [name, fsp] of [['shim', shim], ['node', node]]) {
      // 400 opens at once against a limit of 256: some succeed, the rest get EMFILE.
      const settled = await Promise.allSettled(Array.from({ length: 400 }, () => fsp.open(f)));
      const handles = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value);
      const errors = settled.filter((s) => s.status === 'rejected').map((s) => view(s.reason));
      // With every descriptor taken, the calls that need one fail as Node's do.
      const exhausted = [];
      for (const call of [() => fsp.open(f), () => fsp.readFile(f, 'utf8'), () => fsp.writeFile(`${d}/w-${name}`, 'x'), () => fsp.stat(f).then((s) => s.size)]) {
        exhausted.push(await call().then((v) => ({ value: v }), (e) => ({ error: view(e) })));
      }
      await Promise.all(handles.map((h) => h.close()));
      out[name] = { opened: handles.length, failed: errors.length, distinctErrors: [...new Set(errors.map((e) => JSON.stringify(e)))].map((e) => JSON.parse(e)), exhausted: JSON.parse(JSON.stringify(exhausted).split(`w-${name}`).join('w-X')), after: fds() };
    }
    return out;
  }, d);
  t.equal(r.status, 0, `child exits cleanly: ${r.stderr}`);
  const { out, stats: s } = r.json;
  t.equal(s.backend, 'io_uring', 'the ring served the shim');
  t.ok(s.ring.open >= 400, `opens went through the ring (${s.ring.open})`);
  t.equal(out.node.opened + out.node.failed, 400, 'Node: every open settled');
  t.ok(out.node.failed > 0 && out.node.opened > 200, `Node: the limit was hit (${out.node.opened} opened, ${out.node.failed} EMFILE)`);
  t.equal(out.node.distinctErrors.length, 1, 'Node: one kind of error');
  t.equal(out.node.distinctErrors[0].code, 'EMFILE', 'Node says EMFILE');
  t.equal(out.shim.opened, out.node.opened, 'as many opens succeed as under Node');
  t.strictSame(out.shim.distinctErrors, out.node.distinctErrors, 'the same EMFILE error, every field');
  t.strictSame(out.shim.exhausted, out.node.exhausted, 'open/readFile/writeFile/stat with no descriptor left: same outcomes');
  t.equal(out.shim.after, out.start, 'shim: descriptor count back to the start');
  t.equal(out.node.after, out.start, 'Node: descriptor count back to the start');
});

// The memlock child: the fs-promises differential files pass, and 10,000 operations in flight
// at once complete with a CQ of only 2 x SQ entries.
const memlockPrefix = ['prlimit', '--memlock=65536'];
// Root has CAP_IPC_LOCK, which exempts it from the accounting: drop it from the bounding set
// so the exec'd node does not get it back.
if (process.getuid() === 0) memlockPrefix.push('setpriv', '--bounding-set', '-ipc_lock', '--inh-caps', '-ipc_lock');

t.test('ulimit -l 64 (no CAP_IPC_LOCK): buffers unregistered, same results', { skip: !has('prlimit') || (process.getuid() === 0 && !has('setpriv')) ? 'needs prlimit (and setpriv as root)' : false }, async (t) => {
  const d = tmpdir(t);
  const r = child(memlockPrefix, async (shim, node, d) => {
    const { readFileSync } = require('node:fs');
    const out = {};
    const caps = /CapEff:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1];
    out.ipcLock = (BigInt(`0x${caps}`) >> 14n) & 1n ? 'CAP_IPC_LOCK' : 'none';
    for (const [name, fsp] of [['shim', shim], ['node', node]]) {
      const f = `${d}/${name}`;
      const big = Buffer.alloc(100_000, 7);
      await fsp.writeFile(f, big);
      const fh = await fsp.open(f, 'r+');
      const small = await fh.write(Buffer.from('hello'), 0, 5, 10);
      const reads = await Promise.all(Array.from({ length: 10_000 }, (_, i) =>
        fh.read(Buffer.alloc(8), 0, 8, (i * 13) % 100_000).then((x) => x.buffer.toString('hex', 0, x.bytesRead))));
      const whole = await fh.read(Buffer.alloc(120_000), 0, 120_000, 0);
      await fh.close();
      out[name] = { small: small.bytesWritten, reads, whole: [whole.bytesRead, whole.buffer.subarray(0, whole.bytesRead).toString('base64')] };
    }
    return out;
  }, d, { URING_SHIM_DEBUG: '1' });
  t.equal(r.status, 0, `child exits cleanly: ${r.stderr}`);
  t.equal(r.json.out.ipcLock, 'none', 'the child runs without CAP_IPC_LOCK');
  t.equal(r.json.stats.backend, 'io_uring', `the ring still runs (${r.json.stats.fallbackReason})`);
  t.equal(r.json.stats.buffersRegistered, false, 'the arena could not be registered');
  t.match(r.stderr, /^uring-shim: io_uring ready \([^)]*; buffers not registered: ENOMEM\)\nuring-shim: at exit: 0 rings open, 0 bytes in 0 regions registered with the kernel\n$/, 'the debug line says so, and at exit that the ring let go of everything');
  t.equal(r.json.stats.inFlight, 0, 'nothing left in flight');
  t.strictSame(r.json.out.shim, r.json.out.node, '10,000 reads in flight, a small write and a large read: Node\'s results');

  for (const file of ['test/fs-promises/read-write.test.mjs', 'test/fs-promises/filehandle.test.mjs']) {
    const res = await runTestFile(memlockPrefix, file, {});
    t.equal(res.status, 0, `${file} passes under the limit${res.status ? `\n${res.output.slice(-3000)}` : ''}`);
    t.equal(res.stats?.backend, 'io_uring', `${file}: on the ring`);
    t.equal(res.stats?.buffersRegistered, false, `${file}: with unregistered buffers`);
  }
});

t.test('100,000 operations queued at once on one FileHandle', async (t) => {
  const d = tmpdir(t);
  const size = 1 << 20;
  const data = pattern(size, 5);
  fs.writeFileSync(`${d}/in`, data);
  const N = 100_000;
  const fdsBefore = fdCount();

  const fh = await shim.open(`${d}/in`, 'r');
  const before = stats();
  const reads = [];
  const buffers = [];
  for (let i = 0; i < N; i++) {
    const length = 1 + (i % 61);
    const position = (i * 7919) % (size - 64);
    const b = Buffer.alloc(length);
    buffers.push([b, position]);
    reads.push(fh.read(b, 0, length, position));
  }
  const queued = stats().inFlight;
  const results = await Promise.all(reads);
  let wrong = 0;
  for (let i = 0; i < N; i++) {
    const [b, position] = buffers[i];
    if (results[i].bytesRead !== b.length || !b.equals(data.subarray(position, position + b.length))) wrong++;
  }
  await fh.close();
  t.ok(queued >= N, `all ${N} were queued before any completed (inFlight ${queued}, CQ 4096)`);
  t.equal(wrong, 0, 'every read returned its own bytes');
  t.ok(stats().ring['FileHandle.read'] - (before.ring['FileHandle.read'] ?? 0) >= N, 'carried by the ring');

  const out = await shim.open(`${d}/out`, 'w');
  const writes = [];
  for (let i = 0; i < N; i++) writes.push(out.write(Buffer.from(`${String(i).padStart(9, '0')}\n`), 0, 10, i * 10));
  const written = await Promise.all(writes);
  await out.close();
  t.ok(written.every((w) => w.bytesWritten === 10), 'every write wrote its 10 bytes');
  const expected = Array.from({ length: N }, (_, i) => `${String(i).padStart(9, '0')}\n`).join('');
  t.ok(fs.readFileSync(`${d}/out`, 'latin1') === expected, 'the file holds every write at its position');
  t.equal(stats().inFlight, 0, 'nothing left in flight');
  t.equal(fdCount(), fdsBefore, 'descriptor count back to the start');
});
