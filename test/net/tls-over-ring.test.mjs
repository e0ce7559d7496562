// TLS on sockets a program hands to tls.connect({ socket }) or new TLSSocket(socket): with
// uring-shim/net those raw sockets are ring sockets under Node's JS-stream adapter, and must
// behave as Node's raw sockets under a native TLS wrap (node:net is the oracle): the peer's FIN
// answered by the TLS layer (no writeAfterFIN), the raw socket's 'close' destroying the
// TLSSocket at once, STARTTLS on an accepted socket.
import t from 'tap';
import fs from 'node:fs';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { same, listen, closed, record } from '../helpers/net-twin.mjs';

const fixture = (name) => fs.readFileSync(fileURLToPath(new URL(`../apps/fixtures/${name}`, import.meta.url)));
const credentials = { key: fixture('localhost-key.pem'), cert: fixture('localhost-cert.pem') };
const EVENTS = ['secureConnect', 'secure', 'end', 'finish', 'close', 'error'];
const describe = (event, arg) => event === 'close' ? String(arg) : event === 'error' ? arg.code : undefined;

function tlsServer(onSecure) {
  return new Promise((resolve) => {
    const server = tls.createServer(credentials, onSecure);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function tlsClosed(server) {
  return new Promise((resolve) => server.close(() => resolve()));
}

t.test('tls.connect({ socket }): the server ends at once, TLS answers the FIN', (t) => same(t, 'server ends at once', async (net) => {
  const log = [];
  const server = await tlsServer((secure) => secure.end('Hello'));
  const clients = ['connecting', 'connected'].map(async (when) => {
    const raw = net.connect(server.address().port, '127.0.0.1');
    if (when === 'connected') await new Promise((resolve) => raw.once('connect', resolve));
    const client = tls.connect({ socket: raw, rejectUnauthorized: false });
    record(client, EVENTS, log, `${when}:`, describe);
    let body = '';
    client.on('data', (d) => { body += d; });
    await new Promise((resolve) => client.on('close', resolve));
    return body;
  });
  const bodies = await Promise.all(clients);
  await tlsClosed(server);
  return { log: log.sort(), bodies };
}));

t.test('tls.connect({ socket }): a request, the server ends, TLS answers the FIN', (t) => same(t, 'server ends', async (net) => {
  const log = [];
  const server = await tlsServer((secure) => secure.on('data', (d) => secure.end(`re:${d}`)));
  const raw = net.connect(server.address().port, '127.0.0.1');
  record(raw, ['end', 'close', 'error'], log, 'raw:', describe);
  const client = tls.connect({ socket: raw, rejectUnauthorized: false }, () => client.write('ping'));
  record(client, EVENTS, log, 'tls:', describe);
  let body = '';
  client.on('data', (d) => { body += d; });
  await new Promise((resolve) => client.on('close', resolve));
  await tlsClosed(server);
  return { log: log.filter((line) => !line.startsWith('raw:')), body, rawDestroyed: raw.destroyed };
}));

t.test('tls.connect({ socket }): the client ends first, both sides close', (t) => same(t, 'client ends', async (net) => {
  const log = [];
  const server = await tlsServer((secure) => {
    record(secure, ['end', 'finish', 'close', 'error'], log, 'server:', describe);
    secure.on('data', (d) => secure.write(`re:${d}`));
  });
  const raw = net.connect(server.address().port, '127.0.0.1');
  const client = tls.connect({ socket: raw, rejectUnauthorized: false }, () => client.write('ping'));
  record(client, EVENTS, log, 'tls:', describe);
  let body = '';
  client.on('data', (d) => { body += d; client.end(); });
  await new Promise((resolve) => client.on('close', resolve));
  await new Promise((resolve) => setTimeout(resolve, 50));
  await tlsClosed(server);
  return { log: log.sort(), body, rawDestroyed: raw.destroyed };
}));

t.test('destroying the raw socket destroys its TLSSocket before the raw socket\'s close', (t) => same(t, 'raw destroyed', async (net) => {
  const server = await tlsServer((secure) => secure.on('data', (d) => secure.write(d)).on('error', () => {}));
  const raw = net.connect(server.address().port, '127.0.0.1');
  const client = tls.connect({ socket: raw, rejectUnauthorized: false }, () => client.write('x'));
  client.on('error', () => {});
  const clientClosed = new Promise((resolve) => client.on('close', resolve));
  const seen = await new Promise((resolve) => {
    client.once('data', () => {
      raw.on('close', () => resolve({ tlsDestroyedAtRawClose: client.destroyed }));
      raw.destroy();
    });
  });
  await clientClosed;
  await tlsClosed(server);
  return seen;
}));

t.test('STARTTLS: an accepted socket wrapped in a server TLSSocket after a plain-text exchange', (t) => same(t, 'starttls', async (net) => {
  const log = [];
  const server = await listen(net, {}, (socket) => {
    socket.once('data', (d) => {
      log.push(`plain:${d}`);
      socket.write('GO');
      const secure = new tls.TLSSocket(socket, { isServer: true, ...credentials });
      record(secure, ['secure', 'end', 'close', 'error'], log, 'server:', describe);
      secure.on('data', (x) => secure.end(`secure:${x}`));
    });
  });
  const plain = net.connect(server.address().port, '127.0.0.1', () => plain.write('STARTTLS'));
  await new Promise((resolve) => plain.once('data', resolve));
  const client = tls.connect({ socket: plain, rejectUnauthorized: false }, () => client.write('hi'));
  let body = '';
  client.on('data', (d) => { body += d; });
  await new Promise((resolve) => client.on('close', resolve));
  await new Promise((resolve) => setTimeout(resolve, 50));
  await closed(server);
  return { log, body };
}));
