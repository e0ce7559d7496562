// node:net is the oracle: event order, errors, half-close, timeouts and bytes of ring sockets.
import t from 'tap';
import crypto from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import * as nodeNet from 'node:net';
import shimNet from 'uring-shim/net';
import { same, listen, closed, record, errorShape } from '../helpers/net-twin.mjs';

const SOCKET_EVENTS = ['connect', 'ready', 'end', 'finish', 'close', 'error', 'timeout'];
const describeEvent = (event, arg) => event === 'close' ? String(arg) : event === 'error' ? arg.code : undefined;

t.test('shim sockets are net.Socket and ride the ring', async (t) => {
  const server = await listen(shimNet, {}, (socket) => socket.end());
  const client = shimNet.connect(server.address().port, '127.0.0.1');
  await new Promise((resolve) => client.on('close', resolve).resume());
  t.ok(client instanceof nodeNet.Socket, 'instanceof node:net Socket');
  t.ok(server instanceof nodeNet.Server, 'instanceof node:net Server');
  t.equal(server._handle.constructor.name, 'RingTCP', 'the listen handle is the ring one');
  await closed(server);
});

t.test('echo: event order on both ends, bytes, addresses', (t) => same(t, 'echo', async (net) => {
  const log = [];
  const server = await listen(net, {}, (socket) => {
    record(socket, SOCKET_EVENTS, log, 'server:', describeEvent);
    socket.on('data', (d) => { log.push(`server:data:${d}`); socket.write(d); });
    socket.on('end', () => socket.end());
  });
  const port = server.address().port;
  const client = net.connect(port, '127.0.0.1');
  record(client, SOCKET_EVENTS, log, 'client:', describeEvent);
  client.on('connect', () => {
    log.push(`addr:${client.remoteAddress}:${client.remotePort === port}:${client.remoteFamily}:${client.localAddress}`);
    client.end('ping');
  });
  let echoed = '';
  client.on('data', (d) => { echoed += d; });
  await new Promise((resolve) => client.on('close', resolve));
  await closed(server);
  return { log: log.sort(), echoed, bytes: [client.bytesRead, client.bytesWritten], state: client.readyState };
}));

t.test('ECONNREFUSED carries Node\'s fields', (t) => same(t, 'refused', async (net) => {
  const server = await listen(net);
  const port = server.address().port;
  await closed(server);
  const client = net.connect(port, '127.0.0.1');
  const log = [];
  record(client, SOCKET_EVENTS, log, '', describeEvent);
  const error = await new Promise((resolve) => client.on('error', resolve));
  await new Promise((resolve) => client.on('close', resolve));
  return { error: errorShape(error, port), log };
}));

t.test('EADDRINUSE from listen carries Node\'s fields', (t) => same(t, 'in use', async (net) => {
  const first = await listen(net);
  const port = first.address().port;
  const second = net.createServer();
  const error = await new Promise((resolve) => second.on('error', resolve).listen(port, '127.0.0.1'));
  await closed(first);
  return errorShape(error, port);
}));

t.test('half-close with allowHalfOpen', (t) => same(t, 'half-close', async (net) => {
  const log = [];
  const server = await listen(net, { allowHalfOpen: true }, (socket) => {
    socket.on('end', () => {
      log.push('server:end');
      socket.write('after-end', () => socket.end('bye'));
    });
    socket.resume();
  });
  const client = net.connect({ port: server.address().port, host: '127.0.0.1', allowHalfOpen: true });
  client.end('half');
  let got = '';
  client.on('data', (d) => { got += d; });
  record(client, ['end', 'finish', 'close'], log, 'client:', describeEvent);
  await new Promise((resolve) => client.on('close', resolve));
  await closed(server);
  return { got, log };
}));

t.test('reset: resetAndDestroy reaches the peer as ECONNRESET', (t) => same(t, 'reset', async (net) => {
  const server = await listen(net, {}, (socket) => socket.once('data', () => socket.resetAndDestroy()));
  const client = net.connect(server.address().port, '127.0.0.1', () => client.write('x'));
  const error = await new Promise((resolve) => client.on('error', resolve));
  await new Promise((resolve) => client.on('close', resolve));
  await closed(server);
  return { code: error.code, syscall: error.syscall, errno: error.errno };
}));

// Found by test/property/net-sequences.test.mjs: libuv refuses a reset while a shutdown is
// pending (UV_EINVAL); net.js emits that error and lets go of the handle without closing it.
// After that Node's loop spins for good, so each implementation runs in a child of its own.
t.test('resetAndDestroy right after end: EINVAL from reset, as libuv gives', async (t) => {
  const run = (impl) => {
    const src = `
      import { impls, listen } from ${JSON.stringify(new URL('../helpers/net-twin.mjs', import.meta.url).href)};
      const net = impls[${JSON.stringify(impl)}];
      const server = await listen(net, {}, (socket) => socket.resume());
      const client = net.connect(server.address().port, '127.0.0.1');
      await new Promise((resolve) => client.on('connect', resolve));
      const log = [];
      for (const e of ['end', 'finish', 'close', 'error']) client.on(e, (a) => log.push(e === 'error' ? \`error:\${a.code}:\${a.syscall}\` : \`\${e}:\${a}\`));
      client.end();
      client.resetAndDestroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      console.log(JSON.stringify({ log, destroyed: client.destroyed }));
      process.exit(0);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', src], { encoding: 'utf8', timeout: 20_000 });
    return r.status === 0 ? JSON.parse(r.stdout) : r.stderr;
  };
  const node = run('node');
  t.strictSame(node, { log: ['error:EINVAL:reset'], destroyed: true }, 'Node: EINVAL, no close');
  t.strictSame(run('shim'), node, 'the shim as Node');
});

// Found by test/property/net-sequences.test.mjs: bytes followed at once by a reset read as
// data then 'end' under Node (libuv's POLLHUP after a partial read), paused or not; the shim
// reported ECONNRESET and a paused reader lost the bytes.
t.test('bytes then a reset in one wake-up: data and end, as libuv gives', (t) => same(t, 'data then reset', async (net) => {
  const log = [];
  for (const pause of [false, true]) {
    let peer;
    let peerClosed;
    const server = await listen(net, {}, (socket) => {
      peer = socket;
      peerClosed = new Promise((resolve) => socket.on('close', resolve));
      socket.on('data', (d) => log.push(`data:${d.length}`));
      record(socket, ['end', 'error', 'close'], log, `${pause}:`, describeEvent);
      if (pause) socket.pause();
    });
    const client = net.connect(server.address().port, '127.0.0.1');
    await new Promise((resolve) => client.on('connect', resolve));
    while (!peer) await new Promise((resolve) => setImmediate(resolve));
    client.write('x'.repeat(21));
    client.resetAndDestroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    peer.resume();
    await peerClosed;
    await closed(server);
  }
  return log;
}));

// Found by test/property/net-sequences.test.mjs (seed 2074846316): a reader stopped by its full
// buffer, whose peer sent more and then reset. Under Node the rest waits in the kernel, and
// libuv's reads after resume() decide: the last one short (it met the hang-up) gives 'end', a
// full 64 KiB one reads again and meets the reset. The ring had taken the rest already; the
// shim reported the reset whatever the size. (Sizes the kernel's receive queue holds whole:
// past that, the window behind a paused reader differs -- docs/ARCHITECTURE.md.)
t.test('a paused reader, the last bytes of its peer, then a reset: end or reset as libuv reads meet it', (t) => same(t, 'paused, bytes, reset', async (net) => {
  const log = [];
  for (const size of [20000, 65536, 70000, 100 * 1024, 128 * 1024]) {
    let peer;
    const server = await listen(net, {}, (socket) => { peer = socket; });
    const client = net.connect(server.address().port, '127.0.0.1');
    let received = 0;
    client.on('data', (d) => { received += d.length; });
    record(client, ['end', 'error', 'close'], log, `${size}:`, describeEvent);
    const clientClosed = new Promise((resolve) => client.on('close', resolve));
    await new Promise((resolve) => client.on('connect', resolve));
    while (!peer) await new Promise((resolve) => setImmediate(resolve));
    client.pause();
    peer.write(Buffer.alloc(size, 0x42));
    await new Promise((resolve) => setTimeout(resolve, 30));
    log.push(`${size}:paused after ${client.bytesRead}`);
    peer.resetAndDestroy();
    await new Promise((resolve) => setTimeout(resolve, 30));
    client.resume();
    await clientClosed;
    log.push(`${size}:received ${received}`);
    await closed(server);
  }
  return log;
}));

// Found by test/property/net-sequences.test.mjs: two small writes then a reset, in one tick.
// The second waits behind Nagle for the peer's ACK of the first, which (its quick ACKs spent on
// the big write) the peer sends only when it reads -- after the reset under Node, whose close(2)
// sends it at once, so the second write dies with the socket. Under the shim the ring's receive
// kept the socket alive past close(2), the peer's receive ran first, and its ACK let the second
// write through.
t.test('small writes then a reset: a Nagle-held write dies with the socket, as under Node', (t) => same(t, 'nagle then reset', async (net) => {
  const log = [];
  let peer;
  const server = await listen(net, {}, (socket) => { peer = socket; });
  const client = net.connect(server.address().port, '127.0.0.1');
  await new Promise((resolve) => client.on('connect', resolve));
  while (!peer) await new Promise((resolve) => setImmediate(resolve));
  let received = 0;
  peer.on('data', (d) => { received += d.length; });
  record(peer, ['end', 'error', 'close'], log, 'peer:', describeEvent);
  const peerClosed = new Promise((resolve) => peer.on('close', resolve));
  client.write(Buffer.alloc(20000, 0x41));
  while (received < 20000) await new Promise((resolve) => setImmediate(resolve));
  client.write('abcd');
  client.write('efgh');
  client.resetAndDestroy();
  await peerClosed;
  await closed(server);
  return { log, received };
}));

// close(2) sends a ring socket's FIN only once the ring's ops on it let go, in deferred work run
// after what the process sends meanwhile: the peer saw bytes sent after the close before the
// end (an aborted http client's end reached its proxy after the response, so the proxy
// finished it -- test-http-writable-true-after-close).
t.test('a destroyed socket\'s FIN leaves at once: its peer\'s end comes before bytes sent after it', (t) => same(t, 'fin at close', async (net) => {
  const log = [];
  const peers = [];
  const server = await listen(net, {}, (socket) => { peers.push(socket); });
  const a = net.connect(server.address().port, '127.0.0.1');
  const b = net.connect(server.address().port, '127.0.0.1');
  await Promise.all([a, b].map((socket) => new Promise((resolve) => socket.on('connect', resolve))));
  for (let i = 0; i < 1000 && peers.length < 2; i++) await new Promise((resolve) => setImmediate(resolve));
  const aPeer = peers.find((peer) => peer.remotePort === a.localPort);
  const bPeer = peers.find((peer) => peer !== aPeer);
  aPeer.on('end', () => log.push('a\'s peer: end')).resume();
  b.on('data', (d) => log.push(`b: data ${d}`));
  a.destroy();
  bPeer.write('after');
  for (let i = 0; i < 1000 && log.length < 2; i++) await new Promise((resolve) => setImmediate(resolve));
  for (const socket of [aPeer, b, bPeer]) socket.destroy();
  await closed(server);
  return log;
}));

// Found by test/property/net-sequences.test.mjs (seed 266486383): libuv calls a closed handle
// back from the closing phase of the turn that closed it; the shim called back once the ring's
// cancels were in, a turn later, so a peer's read could land in between.
t.test('a socket destroyed from setImmediate emits close in that turn, before the next immediate', (t) => same(t, 'close in the closing phase', async (net) => {
  const log = [];
  const server = await listen(net, {}, (socket) => socket.on('error', () => {}).resume());
  const client = net.connect(server.address().port, '127.0.0.1');
  await new Promise((resolve) => client.on('connect', resolve));
  await new Promise((resolve) => setImmediate(() => {
    client.on('close', (hadError) => log.push(`close:${hadError}`));
    client.write('unsent?', (error) => log.push(`write callback:${error?.code ?? null}`));
    client.destroy();
    setImmediate(() => {
      log.push('next immediate');
      resolve();
    });
  }));
  await closed(server);
  return log;
}));

// libuv reads what arrived with the peer's FIN in one wake-up, comes up short and stops: the end
// of stream is read at its next wake-up, after that turn's immediates -- unless a reset came
// behind the FIN, whose hang-up (POLLHUP) makes that same wake-up report the end.
t.test('bytes and the peer\'s FIN in one wake-up: end at the next one, or at once behind a reset', (t) => same(t, 'fin with bytes', async (net) => {
  const log = [];
  for (const reset of [false, true]) {
    let peer;
    const server = await listen(net, { pauseOnConnect: true }, (socket) => { peer = socket; });
    const client = net.connect(server.address().port, '127.0.0.1');
    const clientClosed = new Promise((resolve) => client.on('close', resolve));
    client.on('data', (d) => {
      log.push(`${reset}:data:${d.length}`);
      setImmediate(() => log.push(`${reset}:immediate`));
    });
    record(client, ['end', 'error', 'close'], log, `${reset}:`, describeEvent);
    await new Promise((resolve) => client.on('connect', resolve));
    while (!peer) await new Promise((resolve) => setImmediate(resolve));
    peer.on('error', () => {});
    // Bytes the paused peer never reads: its close(2) then sends a reset.
    if (reset) client.write('unread');
    await new Promise((resolve) => setTimeout(resolve, 20));
    peer.end('x'.repeat(21));
    if (reset) peer.on('finish', () => peer.destroy());
    await clientClosed;
    peer.destroy();
    await closed(server);
  }
  return log;
}));

// Found by test/property/net-sequences.test.mjs: a short string write that fails at once (EPIPE)
// is not counted in bytesWritten under Node; a Buffer or writev write is.
t.test('bytesWritten after writes that fail at once', (t) => same(t, 'failed writes counted', async (net) => {
  const out = {};
  for (const kind of ['string', 'buffer', 'writev']) {
    const server = await listen(net, {}, (socket) => setTimeout(() => socket.destroy(), 20));
    const client = net.connect({ port: server.address().port, host: '127.0.0.1', allowHalfOpen: true });
    await new Promise((resolve) => client.on('connect', resolve));
    client.resume();
    await new Promise((resolve) => client.on('end', resolve));
    client.write('x', () => {});  // answered by a reset: the next write fails at once
    await new Promise((resolve) => setTimeout(resolve, 30));
    const log = [client.bytesWritten];
    client.on('error', (e) => log.push(e.code));
    if (kind === 'string') client.write('abcd');
    else if (kind === 'buffer') client.write(Buffer.from('abcd'));
    else { client.cork(); client.write('ab'); client.write(Buffer.from('cd')); client.uncork(); }
    log.push(client.bytesWritten);
    await new Promise((resolve) => client.on('close', resolve));
    out[kind] = [...log, client.bytesWritten];
    await closed(server);
  }
  return out;
}));

t.test('idle timeout emits timeout, then the socket can be destroyed', (t) => same(t, 'timeout', async (net) => {
  const server = await listen(net, {}, () => {});
  // Armed once connected: on a busy machine a connect can take longer than the timeout itself.
  const client = net.connect(server.address().port, '127.0.0.1', () => client.setTimeout(30));
  const log = [];
  record(client, SOCKET_EVENTS, log, '', describeEvent);
  await new Promise((resolve) => client.on('timeout', resolve));
  client.destroy();
  await new Promise((resolve) => client.on('close', resolve));
  await closed(server);
  return log;
}));

t.test('16 MiB each way, byte for byte', (t) => same(t, 'large', async (net) => {
  const payload = crypto.randomBytes(16 << 20);
  const server = await listen(net, {}, (socket) => socket.pipe(socket));
  const client = net.connect(server.address().port, '127.0.0.1');
  const hash = crypto.createHash('sha256');
  let received = 0;
  client.on('data', (d) => { hash.update(d); received += d.length; if (received === payload.length) client.end(); });
  for (let at = 0; at < payload.length; at += 65536) {
    if (!client.write(payload.subarray(at, at + 65536))) await new Promise((resolve) => client.once('drain', resolve));
  }
  await new Promise((resolve) => client.on('close', resolve));
  await closed(server);
  return { received, same: hash.digest('hex') === crypto.createHash('sha256').update(payload).digest('hex') };
}));

// Node reads a stream 64 KiB at a time, and each read decides the window the kernel advertises
// next. (Exact chunk lists vary with the kernel's timing under Node too; their largest does not.)
t.test('reads take up to 64 KiB at a time: the largest \'data\' chunk is Node\'s', (t) => same(t, 'read size', async (net) => {
  const server = await listen(net);
  const accepted = new Promise((resolve) => server.once('connection', resolve));
  const client = net.connect(server.address().port, '127.0.0.1');
  const socket = await accepted;
  let largest = 0;
  let received = 0;
  await new Promise((resolve) => {
    socket.on('data', (d) => { largest = Math.max(largest, d.length); if ((received += d.length) === 3 * 102400) resolve(); });
    for (let i = 0; i < 3; i++) setTimeout(() => client.write(Buffer.alloc(102400, i)), 20 * i);
  });
  client.destroy();
  socket.destroy();
  await closed(server);
  return { largest };
}));

// The loop asleep, another process sends bytes to a ring socket and then writes to a pipe of
// Node's own: Node wakes for the socket first. (Ring receives become deferred work whose eventfd
// signal this machine's 6.18 kernel sends from an RCU callback, 4-16 ms late: the pipe came
// first, and each round trip to an idle server took ~14 ms, until the doorbell in ring.cc.)
t.test('a sleeping loop wakes for a ring socket\'s bytes as soon as for its own pipe', (t) => same(t, 'wake order', async (net) => {
  const server = await listen(net);
  const accepted = new Promise((resolve) => server.once('connection', resolve));
  const peer = spawn(process.execPath, ['-e', `
    const socket = require('node:net').connect(${server.address().port}, '127.0.0.1');
    let round = 0;
    const next = () => setTimeout(() => { socket.write('x'); process.stdout.write('y'); if (++round < 5) next(); else socket.end(); }, 30);
    socket.on('connect', next);
  `], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } });
  const socket = await accepted;
  const order = [];
  socket.on('data', (d) => order.push(...Array.from(String(d), () => 'socket')));
  peer.stdout.on('data', (d) => order.push(...Array.from(String(d), () => 'pipe')));
  await Promise.all([new Promise((resolve) => peer.on('close', resolve)), new Promise((resolve) => socket.on('end', resolve))]);
  socket.destroy();
  await closed(server);
  return { order };
}));

t.test('a paused reader holds the writer back (kernel backpressure)', (t) => same(t, 'backpressure', async (net) => {
  let serverSocket;
  const server = await listen(net, {}, (socket) => { serverSocket = socket; socket.pause(); });
  const client = net.connect(server.address().port, '127.0.0.1');
  await new Promise((resolve) => client.on('connect', resolve));
  const total = 32 << 20;
  const chunk = Buffer.alloc(65536, 7);
  let full = false;
  for (let sent = 0; sent < total; sent += chunk.length) if (!client.write(chunk)) full = true;
  // However long we wait, a paused peer cannot take 32 MiB: the writer must still hold data.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const heldBack = client.writableLength > 0;
  let received = 0;
  serverSocket.on('data', (d) => { received += d.length; if (received === total) serverSocket.end(); });
  serverSocket.resume();
  client.end();
  client.resume();
  await new Promise((resolve) => client.on('close', resolve));
  await closed(server);
  return { full, heldBack, received };
}));

t.test('1,000 concurrent connections', (t) => same(t, '1000 connections', async (net) => {
  const server = await listen(net, {}, (socket) => socket.pipe(socket));
  const port = server.address().port;
  const one = (i) => new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(`message ${i}`));
    let got = '';
    socket.on('data', (d) => { got += d; }).on('error', reject).on('close', () => resolve(got === `message ${i}`));
  });
  const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => one(i)));
  await closed(server);
  return results.filter(Boolean).length;
}));

t.test('writev, cork and strings in several encodings arrive in order', (t) => same(t, 'writev', async (net) => {
  let got = Buffer.alloc(0);
  const server = await listen(net, {}, (socket) => socket.on('data', (d) => { got = Buffer.concat([got, d]); }));
  const client = net.connect(server.address().port, '127.0.0.1');
  client.cork();
  client.write('héllo ', 'utf8');
  client.write(Buffer.from('buffer '));
  client.write('6c6174696e31', 'hex');
  client.write(' ucs2', 'utf16le');
  process.nextTick(() => { client.uncork(); client.end('!', 'latin1'); });
  await new Promise((resolve) => client.on('close', resolve));
  await new Promise((resolve) => setImmediate(resolve));
  await closed(server);
  return got.toString('hex');
}));

t.test('a server closed before its accept reached the kernel leaves the next listener alone', async (t) => {
  // Closing in the same tick as listening: the descriptor number is free again before the
  // loop turn that would submit the accept, and the next socket gets that very number.
  const first = shimNet.createServer();
  await new Promise((resolve) => first.listen(0, '127.0.0.1', resolve));
  first.close();
  let accepted = 0;
  const next = nodeNet.createServer((socket) => { accepted++; socket.end('from node'); });
  await new Promise((resolve) => next.listen(0, '127.0.0.1', resolve));
  const client = nodeNet.connect(next.address().port, '127.0.0.1');
  let got = '';
  client.on('data', (d) => { got += d; });
  await new Promise((resolve) => client.on('close', resolve));
  await closed(next);
  t.equal(accepted, 1, 'node:net accepted the connection');
  t.equal(got, 'from node');
});
