// node:net is the oracle: event order, errors, half-close, timeouts and bytes of ring sockets.
import t from 'tap';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
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

t.test('idle timeout emits timeout, then the socket can be destroyed', (t) => same(t, 'timeout', async (net) => {
  const server = await listen(net, {}, () => {});
  const client = net.connect(server.address().port, '127.0.0.1');
  client.setTimeout(30);
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
  server.maxConnections = 0;
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
