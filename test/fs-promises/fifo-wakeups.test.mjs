// Reads and writes that wait on a FIFO wake as promptly as Node's. Under DEFER_TASKRUN the
// kernel's own signal for such an op comes 4-16 ms late on this kernel (ring.cc, WatchSocket):
// the ring's doorbell watches descriptors read or written at their current position, as it
// watches sockets. Plain node:fs/promises is the oracle, run against the same partner process.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { impls } from '../helpers/twin.mjs';
import { stats } from 'uring-shim';

// The doorbell exists where the ring runs with DEFER_TASKRUN (the fallback runs of this suite
// have no ring, older kernels no deferred task work): there only the results are compared.
const doorbell = stats().setupFlags.includes('DEFER_TASKRUN');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-shim-fifo-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
try {
  execFileSync('mkfifo', [`${dir}/ping`, `${dir}/pong`]);
} catch {
  t.skip('mkfifo not available');
  process.exit(0);
}

// Answers every line on `ping` with the same line on `pong`, with blocking system calls: its
// answer leaves at once, so the round trip is the reader's wake-up.
const partnerSource = `
  const fs = require('node:fs');
  const ping = fs.openSync(process.argv[1], 'r');
  const pong = fs.openSync(process.argv[2], 'w');
  const buf = Buffer.alloc(4096);
  for (;;) {
    const n = fs.readSync(ping, buf);
    if (n === 0) break;
    fs.writeSync(pong, buf.subarray(0, n));
  }`;

// The partner started, and our ends of its FIFOs opened through `fsp`.
async function startPartner(fsp) {
  const partner = spawn(process.execPath, ['-e', partnerSource, `${dir}/ping`, `${dir}/pong`], { stdio: 'ignore' });
  const exited = once(partner, 'exit');
  const [ping, pong] = await Promise.all([fsp.open(`${dir}/ping`, 'w'), fsp.open(`${dir}/pong`, 'r')]);
  return { ping, pong, exited };
}

const EXCHANGES = 200;

// Writes a line, waits for its echo, EXCHANGES times; resolves with the echoed text and the
// milliseconds it took.
async function pingPong(fsp) {
  const { ping, pong, exited } = await startPartner(fsp);
  const buf = Buffer.alloc(64);
  let echoed = '';
  const start = process.hrtime.bigint();
  try {
    for (let i = 0; i < EXCHANGES; i++) {
      const line = `${i}\n`;
      await ping.write(line, null);
      let got = '';
      while (!got.endsWith('\n')) {
        const { bytesRead } = await pong.read(buf, 0, buf.length, null);
        if (bytesRead === 0) throw new Error(`the partner went away after ${i} exchanges`);
        got += buf.toString('latin1', 0, bytesRead);
      }
      echoed += got;
    }
  } finally {
    await ping.close();
    await pong.close();
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await exited;
  return { echoed, ms };
}

t.test('200 exchanges over two FIFOs: the same bytes, and no late wake-ups', async (t) => {
  const node = await pingPong(impls.node);
  const shim = await pingPong(impls.shim);
  t.equal(shim.echoed, node.echoed, 'every line comes back, in order');
  t.comment(`node ${node.ms.toFixed(1)} ms, shim ${shim.ms.toFixed(1)} ms`);
  if (!doorbell) return;
  // A late wake-up costs 4-16 ms: 200 of them take a second or more, where each side's wake-ups
  // at once take a few milliseconds in all. The margin is wide for a shared machine.
  t.ok(shim.ms < 3 * node.ms + 250, `the shim's exchanges take no more than a few times node's (${shim.ms.toFixed(0)} ms against ${node.ms.toFixed(0)} ms)`);
});

// io_uring ignores the position on a pipe; pread(2) and pwrite(2) refuse it.
t.test('a read or write at a position of a FIFO fails with ESPIPE, as on Node, and sends nothing', async (t) => {
  const outcome = async (fsp) => {
    const reader = spawn('cat', [`${dir}/ping`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let received = '';
    reader.stdout.on('data', (chunk) => { received += chunk; });
    const closed = once(reader, 'close');
    const fh = await fsp.open(`${dir}/ping`, 'w');
    const settle = (promise) => promise.then((r) => r.bytesWritten ?? r.bytesRead, (e) => ({ code: e.code, errno: e.errno, syscall: e.syscall, message: e.message }));
    const results = [
      await settle(fh.write('at 10\n', 10)),
      await settle(fh.write(Buffer.from('at 0\n'), 0, 5, 0)),
      await settle(fh.writev([Buffer.from('v at 3\n')], 3)),
      await settle(fh.read(Buffer.alloc(4), 0, 4, 5)),
      await settle(fh.write('here\n', null)),
    ];
    await fh.close();
    await closed;
    return { results, received };
  };
  const node = await outcome(impls.node);
  t.strictSame(await outcome(impls.shim), node, 'the same results and errors, and only the unpositioned write arrives');
  t.equal(node.received, 'here\n', 'Node sends only the unpositioned write');
});

t.test('the doorbell watches a FIFO from its first read at the current position until close', { skip: !doorbell && 'no doorbell without DEFER_TASKRUN' }, async (t) => {
  const fsp = impls.shim;
  fs.writeFileSync(`${dir}/regular`, 'x'.repeat(100));
  const before = stats().watchedFiles;

  const regular = await fsp.open(`${dir}/regular`, 'r');
  await regular.read(Buffer.alloc(10), 0, 10, null);
  await regular.read(Buffer.alloc(10), 0, 10, null);
  t.equal(stats().watchedFiles, before, 'a regular file is not watched');
  await regular.close();
  t.equal((await fsp.readFile(`${dir}/regular`, 'latin1')).length, 100, 'readFile of a regular file');
  t.equal(stats().watchedFiles, before, 'readFile of a regular file watches nothing');

  const { ping, pong, exited } = await startPartner(fsp);
  await ping.write('a\n', 10).catch(() => {});
  t.equal(stats().watchedFiles, before, 'a positioned write (ESPIPE) is not watched');
  await ping.write('a\n', null);
  t.equal(stats().watchedFiles, before + 1, 'the FIFO written at its current position is watched');
  const { bytesRead } = await pong.read(Buffer.alloc(8), 0, 8, null);
  t.equal(bytesRead, 2, 'the echo is read');
  t.equal(stats().watchedFiles, before + 2, 'so is the one read at its current position');
  await ping.close();
  t.equal(stats().watchedFiles, before + 1, 'closing one stops watching it');
  await pong.close();
  t.equal(stats().watchedFiles, before, 'and the other');
  await exited;
});
