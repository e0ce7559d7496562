// Through `--require uring-shim/register`: http and https unchanged on ring sockets, unref'd
// handles let the process exit, Workers with sockets parked in recv terminate cleanly.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const register = fileURLToPath(new URL('../../dist/cjs/register.js', import.meta.url));
const index = fileURLToPath(new URL('../../dist/cjs/index.js', import.meta.url));
const fixtures = fileURLToPath(new URL('../apps/fixtures', import.meta.url));

function run(code, { shim = true, timeout = 60_000, flags = [] } = {}) {
  const args = [...flags, ...(shim ? ['--require', register, '-e', code] : ['-e', code])];
  // tap puts its own preloads (which call process.binding) into every child's NODE_OPTIONS:
  // a run with deprecation flags goes through env(1) to drop them.
  const [file, argv] = flags.length > 0 ? ['env', ['-u', 'NODE_OPTIONS', process.execPath, ...args]] : [process.execPath, args];
  const result = spawnSync(file, argv, { encoding: 'utf8', timeout });
  return { ...result, last: result.stdout.trim().split('\n').pop() };
}

// `code` under plain node and under the shim: what each printed last, parsed.
function underNodeAndShim(t, code) {
  const node = run(code, { shim: false });
  const shim = run(code);
  t.equal(node.status, 0, node.stderr);
  t.equal(shim.status, 0, shim.stderr);
  return { node: JSON.parse(node.last), shim: JSON.parse(shim.last) };
}

const httpRoundTrips = `
const http = require('http');
const { stats } = require(${JSON.stringify(index)});
const server = http.createServer((req, res) => { let body = ''; req.on('data', (d) => body += d); req.on('end', () => res.end(req.method + ' ' + req.url + ' ' + body)); });
server.listen(0, '127.0.0.1', async () => {
  const agent = new http.Agent({ keepAlive: true });
  const results = [];
  for (let i = 0; i < 20; i++) {
    results.push(await new Promise((resolve, reject) => {
      const req = http.request({ port: server.address().port, host: '127.0.0.1', method: 'POST', path: '/p' + i, agent }, (res) => {
        let body = ''; res.on('data', (d) => body += d); res.on('end', () => resolve(res.statusCode + ' ' + body));
      });
      req.on('error', reject);
      req.end('x'.repeat(i * 1000));
    }));
  }
  agent.destroy();
  server.close();
  const s = stats();
  console.log(JSON.stringify({ results, handle: server._handle === null, ring: s.ring }));
});`;

t.test('http client and server through register, on ring sockets', async (t) => {
  const { node: a, shim: b } = underNodeAndShim(t, httpRoundTrips);
  t.strictSame(b.results, a.results, 'same responses as plain node');
  t.ok(b.ring['net.Server'] >= 1, 'the http server listened on the ring');
  t.ok(b.ring['net.Socket'] >= 1, 'the agent connected on the ring');
});

// http's server feeds its parser straight from a StreamBase handle (parser.consume): no 'data'
// events on the socket, the task queue run after each body chunk (Node's parser reads with no
// callback scope around it), a flood of pipelined requests paused after the read that brought them,
// an upgrade's head bytes from the parser's current buffer, and the socket's own 'data' back
// once a listener asks for it (unconsume). Ring handles are read the same way.
const httpConsumed = `
const http = require('http');
const net = require('net');
const log = [];
const server = http.createServer((req, res) => {
  log.push(req.method + ' ' + req.url);
  if (req.method !== 'POST') return res.end(req.url === '/big' ? Buffer.alloc(200000, 'y') : 'ok');
  process.nextTick(() => log.push('tick ' + req.url));
  req.on('data', (d) => log.push('body ' + d.length));
  req.on('end', () => { log.push('end ' + req.url); res.end('ok'); });
});
server.on('connection', (socket) => {
  const emit = socket.emit;
  socket.emit = function (event, ...args) { if (event === 'data') log.push('socket data event'); return emit.call(this, event, ...args); };
});
server.on('upgrade', (req, socket, head) => {
  log.push('upgrade head ' + JSON.stringify(head.toString()));
  socket.on('data', (d) => { log.push('after upgrade ' + JSON.stringify(d.toString())); socket.end('bye'); });
});
server.listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  const exchange = (payload, later) => new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1', () => { c.write(payload); if (later) setTimeout(() => c.write(later), 50); });
    let bytes = 0;
    c.on('data', (d) => { bytes += d.length; });
    c.on('close', () => { log.push('client got ' + bytes + ' bytes'); resolve(); });
    setTimeout(() => c.end(), 300);
  });
  const get = (url) => 'GET ' + url + ' HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n';
  await exchange(get('/a') + get('/b') + get('/c'));
  const post = (url, body) => 'POST ' + url + ' HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: ' + body.length + '\\r\\n\\r\\n' + body;
  await exchange(post('/p', 'hello') + post('/q', 'abc'));
  await exchange(get('/big').repeat(3) + get('/last'));
  await exchange(get('/first') + 'GET /u HTTP/1.1\\r\\nHost: x\\r\\nConnection: Upgrade\\r\\nUpgrade: foo\\r\\n\\r\\nHEAD', 'MORE');
  server.close();
  console.log(JSON.stringify(log));
});`;

t.test('the http server reads ring sockets through its parser, as it reads native handles', async (t) => {
  const { node: expected, shim } = underNodeAndShim(t, httpConsumed);
  t.equal(expected.indexOf('socket data event'), expected.indexOf('upgrade head "HEAD"') + 1, 'under Node the parser reads the handle: the socket\'s first \'data\' is the upgraded one');
  t.ok(expected.includes('upgrade head "HEAD"') && expected.includes('after upgrade "MORE"'), 'the upgrade took its head bytes');
  t.strictSame(shim, expected, 'the same under the shim');
});

// http2 without TLS (h2c; gRPC's insecure channels) runs on net's sockets. Its native session
// reads only C++ streams, and was handed ring handles: the process crashed (SIGSEGV). An http2
// server now keeps Node's own handles, and http2's client socket gets Node's own handle as the
// session binds it (before net.js connects it); a ring socket handed to http2 by hand (a
// front server sniffing the protocol) is read through Node's JS-stream adapter.
const h2cExchanges = `
const http2 = require('http2');
const net = require('net');
const { stats } = require(${JSON.stringify(index)});
const h2 = http2.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => res.end(req.method + ' ' + req.url + ' ' + body.length));
});
const front = net.createServer((socket) => h2.emit('connection', socket));
const exchange = async (port) => {
  const client = http2.connect('http://127.0.0.1:' + port);
  const log = [];
  for (const [i, method, body] of [[0, 'GET', ''], [1, 'POST', 'x'.repeat(100000)], [2, 'GET', '']]) {
    await new Promise((resolve, reject) => {
      const req = client.request({ ':method': method, ':path': '/' + i });
      req.setEncoding('utf8');
      req.on('response', (headers) => log.push('response ' + headers[':status']));
      req.on('data', (d) => log.push('data ' + d));
      req.on('end', resolve);
      req.on('error', reject);
      if (method === 'POST') req.end(body);  // (a GET's stream is ended by request())
    });
  }
  await new Promise((resolve) => client.close(resolve));
  return log;
};
h2.listen(0, '127.0.0.1', () => front.listen(0, '127.0.0.1', async () => {
  const direct = await exchange(h2.address().port);
  const before = { ...stats().ring };
  const sniffed = await exchange(front.address().port);
  h2.close();
  front.close(() => console.log(JSON.stringify({ direct, sniffed, ring: stats().ring, delegated: stats().delegated, before })));
}));`;

t.test('http2 without TLS: the same exchanges as under Node, on Node\'s handles or through its adapter', async (t) => {
  const { node, shim } = underNodeAndShim(t, h2cExchanges);
  t.strictSame(node.direct, ['response 200', 'data GET /0 0', 'response 200', 'data POST /1 100000', 'response 200', 'data GET /2 0']);
  t.strictSame(shim.direct, node.direct, 'an http2 server and client of their own');
  t.strictSame(shim.sniffed, node.sniffed, 'a ring socket handed to the http2 server');
  t.equal(shim.before['net.Socket'] ?? 0, 0, `http2's client socket went back to Node: ${JSON.stringify(shim.before)}`);
  t.ok(shim.delegated['net.Server'] >= 1 && shim.delegated['net.Socket'] >= 2, `http2's server and clients on Node's handles: ${JSON.stringify(shim.delegated)}`);
  t.ok(shim.ring['net.Server'] >= 1, `the front server on the ring: ${JSON.stringify(shim.ring)}`);
});

// A socket given to a child process as its stdio (an inetd-style server): Node takes its handle,
// and accepts only its own kind; a ring socket's handle is converted first, as for send().
const socketAsStdio = `
const net = require('net');
const { spawn } = require('child_process');
const { stats } = require(${JSON.stringify(index)});
const log = [];
const server = net.createServer({ pauseOnConnect: true }, (socket) => {
  const child = spawn('sh', ['-c', 'read line; echo "got $line"'], { stdio: [socket, socket, 'inherit'] });
  child.on('exit', (code) => { log.push('child exit ' + code); socket.destroy(); server.close(); });
}).listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1', () => client.write('hello\\n'));
  client.on('data', (d) => log.push('client got ' + d));
  client.on('end', () => client.end());
  client.on('close', () => setTimeout(() => console.log(JSON.stringify({ log: log.sort(), ring: stats().ring })), 50));
});`;

t.test('a ring socket as a child process\'s stdio', async (t) => {
  const { node, shim } = underNodeAndShim(t, socketAsStdio);
  t.strictSame(node.log, ['child exit 0', 'client got got hello\n']);
  t.strictSame(shim.log, node.log);
  t.ok(shim.ring['net.Server'] >= 1 && shim.ring['net.Socket'] >= 1, `the server and client on the ring: ${JSON.stringify(shim.ring)}`);
});

// A nextTick that throws after a socket event is reported where Node reports it, and the
// sockets go on; with async hooks (an 'after' hook) too. The shim runs the task queue from
// within its batch: a throwing tick there once left its async context on the stack, and the
// process died on the check as the batch's scope closed ("async hook stack has become
// corrupted").
const throwingTick = (hooks) => `
const net = require('net');
const log = [];
if (${hooks}) require('async_hooks').createHook({ after() {} }).enable();
process.on('uncaughtException', (e) => log.push('caught ' + e.message));
const server = net.createServer((s) => s.on('data', (d) => {
  log.push('server data ' + d);
  process.nextTick(() => { throw new Error('tick ' + d); });
  process.nextTick(() => log.push('next tick ' + d));
  s.write(d);
}));
server.listen(0, '127.0.0.1', () => {
  const c = net.connect(server.address().port, '127.0.0.1');
  let n = 0;
  c.on('data', (d) => { log.push('client data ' + d); if (++n < 3) c.write('m' + n); else { c.end(); server.close(); } });
  c.write('m0');
});
process.on('exit', () => console.log(JSON.stringify(log)));`;

t.test('a nextTick that throws after a socket event: caught where Node catches it, the sockets go on', async (t) => {
  for (const hooks of [false, true]) {
    const { node: expected, shim } = underNodeAndShim(t, throwingTick(hooks));
    t.ok(expected.includes('caught tick m2') && expected.includes('client data m2'), `under Node (async hooks: ${hooks}) every tick threw and every echo came back`);
    t.strictSame(shim, expected, `the same under the shim (async hooks: ${hooks})`);
  }
  const unhandled = throwingTick(false).replace("process.on('uncaughtException'", "process.on('no-such-event'");
  const node = run(unhandled, { shim: false });
  const shim = run(unhandled);
  t.equal(node.status, 1, 'without a handler Node ends the process');
  t.equal(shim.status, node.status, 'so does the shim');
  t.match(shim.stderr, /Error: tick m0/, "with Node's report of the error");
});

// process.noDeprecation is read-only under --no-deprecation: register used to throw at startup.
t.test('--no-deprecation and --pending-deprecation --throw-deprecation: still on ring sockets, nothing printed', async (t) => {
  for (const flags of [['--no-deprecation'], ['--pending-deprecation', '--throw-deprecation']]) {
    const shim = run(httpRoundTrips, { flags });
    t.equal(shim.status, 0, `${flags.join(' ')}: ${shim.stderr}`);
    t.equal(shim.stderr, '', `${flags.join(' ')}: no warning`);
    t.ok(JSON.parse(shim.last).ring['net.Socket'] >= 1, `${flags.join(' ')}: ring sockets`);
  }
});

t.test('https still works under register (a TLS server keeps Node\'s own handle)', async (t) => {
  const code = `
const https = require('https'); const fs = require('fs');
const server = https.createServer({ key: fs.readFileSync(${JSON.stringify(fixtures)} + '/localhost-key.pem'), cert: fs.readFileSync(${JSON.stringify(fixtures)} + '/localhost-cert.pem') },
  (req, res) => res.end('secure ' + req.url));
server.listen(0, '127.0.0.1', () => {
  https.get({ port: server.address().port, host: '127.0.0.1', path: '/s', rejectUnauthorized: false }, (res) => {
    const encrypted = res.socket.encrypted; const handle = server._handle.constructor.name;
    let body = ''; res.on('data', (d) => body += d); res.on('end', () => { server.close(); console.log(body + ' ' + encrypted + ' ' + handle); });
  });
});`;
  const shim = run(code);
  t.equal(shim.status, 0, shim.stderr);
  t.equal(shim.last, 'secure /s true TCP');
});

t.test('an unref\'d server and an unref\'d idle socket let the process exit', async (t) => {
  const code = `
const net = require('net');
const server = net.createServer((peer) => peer.unref()).listen(0, '127.0.0.1', () => {
  const socket = net.connect(server.address().port, '127.0.0.1', () => {
    socket.unref();
    server.unref();
    console.log('unrefd ' + server._handle.constructor.name);
  });
});`;
  const plain = run(code, { shim: false, timeout: 20_000 });
  t.equal(plain.status, 0, 'plain node exits');
  const shim = run(code, { timeout: 20_000 });
  t.equal(shim.signal, null, 'not killed by the timeout');
  t.equal(shim.status, 0, shim.stderr);
  t.equal(shim.last, 'unrefd RingTCP');
});

t.test('Workers terminated with sockets waiting in recv: no crash, no leaked descriptors', async (t) => {
  const code = `
const { Worker } = require('worker_threads'); const net = require('net'); const fs = require('fs');
const fds = () => fs.readdirSync('/proc/self/fd').length;
const server = net.createServer((s) => s.on('data', () => {})).listen(0, '127.0.0.1', async () => {
  const before = fds();
  for (let i = 0; i < 10; i++) {
    const worker = new Worker(\`
      const net = require('net'); const { parentPort } = require('worker_threads');
      let n = 0;
      for (let i = 0; i < 20; i++) net.connect(\${server.address().port}, '127.0.0.1', () => { if (++n === 20) parentPort.postMessage('parked'); }).on('data', () => {});
    \`, { eval: true, execArgv: ['--require', ${JSON.stringify(register)}] });
    await new Promise((resolve) => worker.once('message', resolve));
    await worker.terminate();
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  server.close();
  server.unref();
  console.log(JSON.stringify({ before, after: fds() }));
});`;
  const shim = run(code, { timeout: 90_000 });
  t.equal(shim.signal, null, `no signal (${shim.stderr.slice(0, 400)})`);
  t.equal(shim.status, 0, shim.stderr);
  const { before, after } = JSON.parse(shim.last);
  t.ok(after <= before, `descriptors after (${after}) <= before (${before})`);
});
