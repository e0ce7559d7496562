// More completions than the CQ holds: nothing is lost. The ring is shrunk to 8 SQ / 16 CQ entries
// (URING_SHIM_TEST_RING_ENTRIES, read at ring setup, so in a child process) and then given far
// more than that: 200 sockets, each with a multishot receive in flight (outside the CQ budget,
// so their completions overflow the CQ into the kernel's overflow list), echoing varied
// messages, while 20,000 file reads wait behind the 8-entry SQ. Also the suites that queue
// 100,000 operations at once run under the tiny ring.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, runTestFile } from '../helpers/refused.mjs';

const TINY = { URING_SHIM_TEST_RING_ENTRIES: '8' };

// Runs in the child: every byte each socket sent comes back, in order; every read returns
// its own bytes. Prints the digests compared and the ring's counters.
async function workload(dir) {
  const crypto = require('node:crypto');
  const net = require('./dist/cjs/net/index.js');
  const fsp = require('./dist/cjs/fs/promises.js');
  const { stats } = require('./dist/cjs/index.js');
  const SOCKETS = 200;
  const MESSAGES = 200;
  const pool = crypto.randomBytes(1 << 16);
  const message = (s, i) => pool.subarray((s * 131 + i * 977) % 60_000, (s * 131 + i * 977) % 60_000 + 1 + ((s + i * 37) % 3000));

  const server = net.createServer((socket) => socket.pipe(socket));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const echoes = await Promise.all(Array.from({ length: SOCKETS }, (_, s) => new Promise((resolve, reject) => {
    const sent = crypto.createHash('sha256');
    const got = crypto.createHash('sha256');
    let bytes = 0;
    let expected = 0;
    const socket = net.connect(server.address().port, '127.0.0.1', () => {
      for (let i = 0; i < MESSAGES; i++) {
        const m = message(s, i);
        sent.update(m);
        expected += m.length;
        socket.write(m);
      }
    });
    socket.on('data', (d) => {
      got.update(d);
      bytes += d.length;
      if (bytes === expected) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ bytes, expected, same: got.digest('hex') === sent.digest('hex') }));
  })));
  await new Promise((resolve) => server.close(resolve));

  const file = `${dir}/data`;
  const data = crypto.randomBytes(1 << 20);
  require('node:fs').writeFileSync(file, data);
  const fh = await fsp.open(file, 'r');
  const READS = 20_000;
  const reads = Array.from({ length: READS }, (_, i) => {
    const position = (i * 7919) % (data.length - 100);
    return fh.read(Buffer.alloc(1 + (i % 97)), 0, 1 + (i % 97), position)
      .then(({ bytesRead, buffer }) => bytesRead === buffer.length && buffer.equals(data.subarray(position, position + bytesRead)));
  });
  const readsRight = (await Promise.all(reads)).filter(Boolean).length;
  await fh.close();
  return { echoes, readsRight, READS, stats: stats() };
}

function runTiny(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-cq-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, ...TINY };
  delete env.NODE_OPTIONS;
  const src = `(${workload.toString()})(process.argv[1]).then((out) => console.log(JSON.stringify(out)));`;
  const r = spawnSync(process.execPath, ['-e', src, dir], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  return { ...r, json: r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').at(-1)) : null };
}

t.test('a CQ of 16 entries under 200 sockets and 20,000 reads: nothing lost', async (t) => {
  const r = runTiny(t);
  t.equal(r.status, 0, `the child finished (a lost completion leaves a socket or a read waiting for good)${r.status === 0 ? '' : `: ${r.signal ?? ''} ${r.stderr.slice(-2000)}`}`);
  if (!r.json) return;
  const { echoes, readsRight, READS, stats } = r.json;
  t.equal(stats.backend, 'io_uring', 'on the ring');
  t.equal(echoes.length, 200);
  t.equal(echoes.filter((e) => e.bytes === e.expected && e.same).length, 200, 'every socket got back every byte it sent, in order');
  t.equal(readsRight, READS, 'every read returned its own bytes');
  // Not vacuous: the kernel really had to hold completions back.
  t.ok(stats.cqOverflows > 0, `the CQ overflowed (${stats.cqOverflows} times completions waited in the kernel's overflow list)`);
  t.equal(stats.cqDropped, 0, 'the kernel dropped no completion');
  t.equal(stats.inFlight, 0, 'nothing left in flight');
});

// Suites that queue 100,000 operations at once (on one FileHandle, on 100 sockets), unchanged.
for (const file of ['test/faults/net-load.test.mjs', 'test/net/socket.test.mjs']) {
  t.test(`${file} under an 8/16-entry ring`, async (t) => {
    // The stats module is preloaded: it writes what the child's ring did at exit.
    const res = await runTestFile([], file, { ...TINY, NODE_OPTIONS: `--require ${ROOT}/dist/cjs/index.js` });
    t.equal(res.status, 0, `passes${res.status ? `\n${res.output.slice(-3000)}` : ''}`);
    t.equal(res.stats?.backend, 'io_uring', 'on the ring');
    t.equal(res.stats?.cqDropped, 0, 'the kernel dropped no completion');
  });
}
