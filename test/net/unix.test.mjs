// Unix domain sockets by path on the ring (RingPipe), node:net as the oracle: echo and half-close,
// addresses (none, as Node's pipes), errors (ENOENT, EADDRINUSE), readableAll/writableAll, the
// socket file removed on close, backpressure on a large transfer; names the ring leaves to Node
// (abstract, too long for sun_path) still work.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { stats } from 'uring-shim';
import { same, closed, record } from '../helpers/net-twin.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-shim-unix-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
let serial = 0;
// One socket path per scenario and implementation; `<SOCK>` in what is compared.
const socketPath = () => path.join(dir, `s${serial++}.sock`);
const masked = (text, name) => String(text).split(name).join('<SOCK>');

const EVENTS = ['connect', 'ready', 'end', 'finish', 'close', 'error'];
const describe = (event, arg) => event === 'close' ? String(arg) : event === 'error' ? arg.code : undefined;

function listenOn(net, name, options = {}, onConnection) {
  return new Promise((resolve, reject) => {
    const server = net.createServer(options, onConnection);
    server.once('error', reject);
    server.listen({ path: name, ...options.listen }, () => resolve(server));
  });
}

t.test('echo over a path: events, addresses, bytes, the socket file', (t) => same(t, 'echo', async (net, impl) => {
  const name = socketPath();
  const log = [];
  const server = await listenOn(net, name, {}, (socket) => {
    record(socket, EVENTS, log, 'server:', describe);
    log.push(`server:remote:${socket.remoteAddress}:${socket.remotePort}`);
    socket.on('data', (d) => socket.write(d));
    socket.on('end', () => socket.end());
  });
  const client = net.connect(name);
  record(client, EVENTS, log, 'client:', describe);
  client.on('connect', () => {
    log.push(`client:addr:${client.remoteAddress}:${client.localAddress}:${JSON.stringify(client.address())}`);
    client.setNoDelay(true);
    client.setKeepAlive(true, 1000);
    client.end('ping');
  });
  let echoed = '';
  client.on('data', (d) => { echoed += d; });
  await new Promise((resolve) => client.on('close', resolve));
  const address = masked(server.address(), name);
  const handle = server._handle.constructor.name;
  const fileWhileOpen = fs.statSync(name).isSocket();
  await closed(server);
  return {
    log: log.sort(), echoed, bytes: [client.bytesRead, client.bytesWritten], address, fileWhileOpen,
    fileAfterClose: fs.existsSync(name), handle: impl === 'shim' ? handle === 'RingPipe' : handle === 'Pipe',
  };
}));

t.test('half-close with allowHalfOpen', (t) => same(t, 'half-close', async (net) => {
  const name = socketPath();
  const log = [];
  const server = await listenOn(net, name, { allowHalfOpen: true }, (socket) => {
    socket.on('end', () => { log.push('server:end'); socket.write('after-end', () => socket.end('bye')); });
    socket.resume();
  });
  const client = net.connect({ path: name, allowHalfOpen: true });
  client.end('half');
  let got = '';
  client.on('data', (d) => { got += d; });
  record(client, ['end', 'finish', 'close'], log, 'client:', describe);
  await new Promise((resolve) => client.on('close', resolve));
  await closed(server);
  return { got, log };
}));

const errorShape = (error, name) => ({ code: error.code, errno: error.errno, syscall: error.syscall, address: masked(error.address, name), message: masked(error.message, name) });

t.test('connect to a missing path: ENOENT with Node\'s fields', (t) => same(t, 'ENOENT', async (net) => {
  const name = socketPath();
  const client = net.connect(name);
  const log = [];
  record(client, EVENTS, log, '', describe);
  const error = await new Promise((resolve) => client.on('error', resolve));
  await new Promise((resolve) => client.on('close', resolve));
  return { error: errorShape(error, name), log };
}));

t.test('connect to a socket file nobody listens on: ECONNREFUSED', (t) => same(t, 'ECONNREFUSED', async (net) => {
  const name = socketPath();
  const server = await listenOn(net, name);
  // The file stays when the listener's descriptor goes without a close (as after a crash).
  fs.renameSync(name, `${name}.kept`);
  await closed(server);
  fs.renameSync(`${name}.kept`, name);
  const error = await new Promise((resolve) => net.connect(name).on('error', resolve));
  fs.unlinkSync(name);
  return errorShape(error, name);
}));

t.test('listen on a path in use: EADDRINUSE with Node\'s fields', (t) => same(t, 'EADDRINUSE', async (net) => {
  const name = socketPath();
  const first = await listenOn(net, name);
  const error = await new Promise((resolve) => net.createServer().on('error', resolve).listen(name));
  await closed(first);
  return errorShape(error, name);
}));

t.test('readableAll and writableAll set the socket file\'s mode', (t) => same(t, 'chmod', async (net) => {
  const modes = [];
  for (const listen of [{ readableAll: true }, { writableAll: true }, { readableAll: true, writableAll: true }]) {
    const name = socketPath();
    const server = await listenOn(net, name, { listen });
    modes.push((fs.statSync(name).mode & 0o777).toString(8));
    await closed(server);
  }
  return modes;
}));

t.test('4 MiB each way with a paused reader: bytes intact, backpressure honoured', (t) => same(t, 'bulk', async (net) => {
  const name = socketPath();
  const payload = crypto.createHash('sha256').update('unix').digest().toString('hex').repeat(65536);
  const server = await listenOn(net, name, {}, (socket) => {
    socket.pause();
    setTimeout(() => socket.resume(), 50);
    socket.pipe(socket);
  });
  const client = net.connect(name);
  let full = 0;
  const chunks = [];
  client.on('data', (d) => chunks.push(d));
  for (let at = 0; at < payload.length; at += 65536) if (!client.write(payload.slice(at, at + 65536))) full++;
  client.end();
  await new Promise((resolve) => client.on('close', resolve));
  await closed(server);
  const back = Buffer.concat(chunks).toString();
  return { same: back === payload, length: back.length, sawBackpressure: full > 0 };
}));

t.test('names the ring leaves to Node still work: abstract, and too long for sun_path', (t) => same(t, 'delegated names', async (net, impl) => {
  const results = [];
  for (const name of [`\0uring-shim-${process.pid}-${impl}`, path.join(dir, impl + 'x'.repeat(120))]) {
    // Node 20 truncates an over-long name; later Node versions refuse it (EINVAL).
    const server = await listenOn(net, name, {}, (socket) => socket.end('hi')).catch((error) => error);
    if (server instanceof Error) {
      results.push({ listenError: server.code });
      continue;
    }
    const handle = server._handle.constructor.name;
    const client = net.connect(name);
    let got = '';
    client.on('data', (d) => { got += d; });
    const error = await new Promise((resolve) => client.on('close', () => resolve(null)).on('error', resolve));
    await closed(server);
    results.push({ got, error: error && error.code, handle });
  }
  return results;
}));

t.test('the ring carried them', async (t) => {
  const counted = stats();
  t.ok(counted.ring['net.Server'] >= 1 && counted.ring['net.Socket'] >= 1, JSON.stringify(counted.ring));
});
