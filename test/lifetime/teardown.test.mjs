// Ends of life: process.exit() with operations in flight (some of which never complete on their
// own), a process with nothing left to do, a Worker terminated with a read parked on a FIFO, and
// a FileHandle closed with operations in flight. (Socket cases -- a recv parked on a connection
// nobody writes to -- belong next to the FIFO ones when uring-shim/net lands.)
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { twins, pattern } from '../helpers/twin.mjs';

const promises = fileURLToPath(new URL('../../dist/cjs/fs/promises.js', import.meta.url));
const index = fileURLToPath(new URL('../../dist/cjs/index.js', import.meta.url));
// Below the 10 s the ring's teardown waits for stragglers: a teardown stuck waiting shows up as
// a timeout here rather than as a slow pass.
const PROMPT_MS = 8000;

function sandbox(t) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-teardown-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  fs.writeFileSync(`${d}/f`, pattern(1 << 20, 3));
  execFileSync('mkfifo', [`${d}/fifo`]);
  return d;
}

function node(script, dir, timeout = PROMPT_MS) {
  return spawnSync(process.execPath, ['-e', script, dir], { encoding: 'utf8', timeout });
}

// In flight: a read parked on a FIFO nobody writes to (it never completes by itself) and
// thousands of file reads.
const inFlight = `
  const fsp = require(${JSON.stringify(promises)});
  const { stats } = require(${JSON.stringify(index)});
  const dir = require('node:worker_threads').workerData ?? process.argv[1];
  async function start() {
    const fifo = await fsp.open(dir + '/fifo', 'r+');
    fifo.read(Buffer.alloc(10), 0, 10, null);
    const fh = await fsp.open(dir + '/f', 'r');
    for (let i = 0; i < 5000; i++) fh.read(Buffer.alloc(4096), 0, 4096, (i * 4096) % (1 << 20));
    for (let i = 0; i < 1000; i++) fsp.readFile(dir + '/f');
    return stats().inFlight;
  }
`;

t.test('process.exit() with operations in flight exits at once', async (t) => {
  const d = sandbox(t);
  const r = node(`${inFlight}
    start().then((n) => { console.log(n); process.exit(7); });`, d);
  t.equal(r.error, undefined, `exited within ${PROMPT_MS} ms`);
  t.equal(r.signal, null, `no signal (${r.stderr})`);
  t.equal(r.status, 7, 'with the code it asked for');
  t.ok(Number(r.stdout) > 5000, `with ${r.stdout.trim()} operations in flight`);
});

t.test('an uncaught exception with operations in flight exits at once', async (t) => {
  const d = sandbox(t);
  const r = node(`${inFlight}
    start().then(() => { throw new Error('boom'); });`, d);
  t.equal(r.error, undefined, `exited within ${PROMPT_MS} ms`);
  t.equal(r.status, 1, 'exit code 1');
  t.match(r.stderr, /Error: boom/, 'Node reports the exception');
});

t.test('a process with nothing left to do exits (the ring never holds the loop open)', async (t) => {
  const d = sandbox(t);
  const r = node(`
    const fsp = require(${JSON.stringify(promises)});
    const { stats } = require(${JSON.stringify(index)});
    (async () => {
      const fh = await fsp.open(process.argv[1] + '/f', 'r');
      await Promise.all(Array.from({ length: 3000 }, (_, i) => fh.read(Buffer.alloc(100), 0, 100, i)));
      await fh.close();
      await fsp.readFile(process.argv[1] + '/f');
      process.on('exit', () => console.log(JSON.stringify(stats())));
    })();`, d);
  t.equal(r.error, undefined, `exited by itself within ${PROMPT_MS} ms`);
  t.equal(r.status, 0);
  const s = JSON.parse(r.stdout);
  t.equal(s.backend, 'io_uring', 'the ring was in use');
  t.equal(s.inFlight, 0, 'nothing in flight at exit');

  const idle = node(`require(${JSON.stringify(promises)}); console.log(require(${JSON.stringify(index)}).stats().backend);`, d);
  t.equal(idle.error, undefined, 'a process that set up the ring and never used it exits too');
  t.equal(idle.stdout.trim(), 'io_uring');
});

// The kernel pins the arena and maps the receive buffers for us, where AddressSanitizer's leak
// check cannot see them: the shim counts them, and URING_SHIM_DEBUG prints the count at exit.
t.test('at exit, memory registered with the kernel is counted: none left after a normal end', async (t) => {
  const d = sandbox(t);
  const script = (ending) => `
    const fsp = require(${JSON.stringify(promises)});
    const net = require(${JSON.stringify(fileURLToPath(new URL('../../dist/cjs/net/index.js', import.meta.url)))});
    const { stats } = require(${JSON.stringify(index)});
    (async () => {
      await fsp.readFile(process.argv[1] + '/f');
      const server = net.createServer((socket) => socket.end('hi'));
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const client = net.connect(server.address().port, '127.0.0.1');
      await new Promise((resolve) => client.on('data', resolve));
      console.log(JSON.stringify(stats().kernelMemory));
      client.destroy();
      server.close();
      ${ending}
    })();`;
  const env = { ...process.env, URING_SHIM_DEBUG: '1' };
  const normal = spawnSync(process.execPath, ['-e', script(''), d], { encoding: 'utf8', timeout: PROMPT_MS, env });
  t.equal(normal.status, 0, normal.stderr);
  const held = JSON.parse(normal.stdout);
  t.ok(held.rings === 1 && held.regions === 2 && held.bytes > 0, `while running: the ring, its arena and its receive buffers (${normal.stdout.trim()})`);
  t.equal(normal.stderr.split('\n').filter(Boolean).at(-1), 'uring-shim: at exit: 0 rings open, 0 bytes in 0 regions registered with the kernel', 'a normal end lets go of everything');

  // process.exit() skips the environment's cleanup, under Node as for its own handles.
  const exited = spawnSync(process.execPath, ['-e', script('process.exit(3);'), d], { encoding: 'utf8', timeout: PROMPT_MS, env });
  t.equal(exited.status, 3);
  t.match(exited.stderr.split('\n').filter(Boolean).at(-1), /^uring-shim: at exit: 1 rings open, [1-9]\d* bytes in 2 regions registered with the kernel \(the environment was not torn down; the kernel frees them with the process\)$/, 'process.exit(): what was still held is said');
});

t.test('a Worker terminated with a read parked on a FIFO exits at once', async (t) => {
  const d = sandbox(t);
  const r = node(`
    const { Worker } = require('node:worker_threads');
    const { readdirSync } = require('node:fs');
    const code = ${JSON.stringify(`${inFlight}; start().then((n) => require('node:worker_threads').parentPort.postMessage(n));`)};
    const fds = () => readdirSync('/proc/self/fd').length;
    const warm = new Worker('0', { eval: true });
    warm.on('exit', () => {
      const before = fds();
      const worker = new Worker(code, { eval: true, workerData: process.argv[1] });
      let inFlight;
      worker.on('message', (n) => { inFlight = n; worker.terminate(); });
      worker.on('exit', () => setImmediate(() => console.log(JSON.stringify({ inFlight, before, after: fds() }))));
    });`, d);
  t.equal(r.error, undefined, `exited within ${PROMPT_MS} ms`);
  t.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.ok(report.inFlight > 5000, `terminated with ${report.inFlight} operations in flight`);
  t.equal(report.after, report.before, 'descriptors back where they started');
});

// close() with reads and writes in flight: they complete first, then the descriptor closes, so
// a file opened right after (which may get the same number) never sees bytes meant for the old.
t.test('FileHandle.close with operations in flight: they finish, then the fd closes', async (t) => {
  const A = pattern(1 << 20, 11);
  const B = pattern(1 << 20, 12);
  const tw = twins(t, { a: A, b: B, w: Buffer.alloc(1 << 20), v: B });
  await tw.same(t, 'reads in flight, close, reopen', async (fsp, d) => {
    const order = [];
    const fh = await fsp.open(`${d}/a`, 'r');
    const reads = Array.from({ length: 2000 }, (_, i) => {
      const position = (i * 4099) % ((1 << 20) - 512);
      return fh.read(Buffer.alloc(512), 0, 512, position).then(({ bytesRead, buffer }) => {
        order.push('read');
        return bytesRead === 512 && buffer.equals(A.subarray(position, position + 512));
      });
    });
    const closed = fh.close().then(() => order.push('close'));
    // Opens racing the close: one of them may be handed the same fd number.
    const others = await Promise.all(Array.from({ length: 20 }, () => fsp.open(`${d}/b`, 'r')));
    const results = await Promise.all(reads);
    await closed;
    const otherBytes = await Promise.all(others.map(async (h) => (await h.read(Buffer.alloc(64), 0, 64, 0)).buffer.equals(B.subarray(0, 64))));
    await Promise.all(others.map((h) => h.close()));
    return {
      allReadsOwnBytes: results.every(Boolean),
      closeAfterEveryRead: order.indexOf('close') === order.length - 1 && order.length === 2001,
      othersSeeTheirFile: otherBytes.every(Boolean),
    };
  }, (r) => r.value.allReadsOwnBytes && r.value.closeAfterEveryRead && r.value.othersSeeTheirFile);

  await tw.same(t, 'writes in flight, close, reopen another file for writing', async (fsp, d) => {
    const fh = await fsp.open(`${d}/w`, 'r+');
    const writes = Array.from({ length: 2000 }, (_, i) => fh.write(Buffer.alloc(512, i % 251), 0, 512, i * 512).then((w) => w.bytesWritten));
    const closed = fh.close();
    const others = await Promise.all(Array.from({ length: 20 }, () => fsp.open(`${d}/v`, 'r+')));
    const written = await Promise.all(writes);
    await closed;
    await Promise.all(others.map((h) => h.close()));
    return written.reduce((a, b) => a + b, 0);
  }, (r) => r.value === 2000 * 512);
  tw.sameTree(t, 'the written file holds every write; the file opened meanwhile is untouched');
  t.ok(fs.readFileSync(`${tw.dirs.shim}/v`).equals(B), 'shim: v untouched');
});
