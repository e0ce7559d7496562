// 100,000 socket writes queued at once on 100 ring sockets: every write completes, every byte
// arrives, in order, on the other end.
import t from 'tap';
import crypto from 'node:crypto';
import shimNet from 'uring-shim/net';
import { stats } from 'uring-shim';
import { listen, closed } from '../helpers/net-twin.mjs';

const SOCKETS = 100;
const WRITES = 1000;

// Write i of socket s: a view of 1-8 KiB into one random megabyte, at an offset and of a length
// that vary (about 4 MB per socket; views cost no memory).
const pool = crypto.randomBytes(1 << 20);
const chunk = (s, i) => {
  const start = (s * 7919 + i * 104729) % (pool.length - 8192);
  return pool.subarray(start, start + 1 + ((s * 7 + i * 13) % 8192));
};

t.test(`${SOCKETS * WRITES} writes queued at once on ${SOCKETS} sockets`, async (t) => {
  const received = new Map();
  const server = await listen(shimNet, {}, (socket) => {
    const hash = crypto.createHash('sha256');
    let bytes = 0;
    socket.on('data', (d) => { hash.update(d); bytes += d.length; });
    socket.on('end', () => {
      received.set(socket.remotePort, { bytes, digest: hash.digest('hex') });
      socket.end();
    });
  });
  const clients = await Promise.all(Array.from({ length: SOCKETS }, () => new Promise((resolve) => {
    const socket = shimNet.connect(server.address().port, '127.0.0.1', () => resolve(socket));
  })));
  t.equal(clients[0]._handle.constructor.name, 'RingTCP', 'ring sockets');
  const before = stats().completions;
  const expected = [];
  let completed = 0;
  let failed = 0;
  // Every write of every socket is issued before any completes.
  for (const [s, socket] of clients.entries()) {
    const hash = crypto.createHash('sha256');
    let bytes = 0;
    for (let i = 0; i < WRITES; i++) {
      const data = chunk(s, i);
      hash.update(data);
      bytes += data.length;
      socket.write(data, (error) => { if (error) failed++; else completed++; });
    }
    expected.push({ port: socket.localPort, bytes, digest: hash.digest('hex') });
    socket.end();
  }
  const queued = clients.reduce((n, socket) => n + socket._handle.writeQueueSize, 0);
  // How much the kernel takes at once on loopback varies (several MB per socket here), so how
  // many writes wait on the ring rather than leave by the first try is reported, not asserted.
  t.comment(`${queued} bytes were waiting on the ring right after the writes`);
  await Promise.all(clients.map((socket) => new Promise((resolve) => (socket.closed ? resolve() : socket.on('close', resolve)))));
  t.equal(completed, SOCKETS * WRITES, 'every write called back without error');
  t.equal(failed, 0);
  for (const e of expected) t.strictSame(received.get(e.port), { bytes: e.bytes, digest: e.digest }, `socket ${e.port}: every byte, in order`);
  t.ok(stats().completions - before > SOCKETS, `the ring carried them (${stats().completions - before} completions)`);
  await closed(server);
});
