// Writes that answer bytes just received (an echo, an http response) are reported done at once
// and sent with the batch's one enter (stream-handle.ts, mayReport). What net.js and the caller
// see must stay Node's: the caller may reuse a lent Buffer the moment write() returns, callbacks
// and events come in Node's order, and a peer that is gone gets Node's errors.
import t from 'tap';
import http from 'node:http';
import { stats } from 'uring-shim';
import { impls, listen, closed, same, record } from '../helpers/net-twin.mjs';

const connected = (net, port) => new Promise((resolve, reject) => {
  const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
  socket.once('error', reject);
});

t.test('a lent Buffer may be reused as soon as the answering write returns', async (t) => {
  const reported = [];
  await same(t, 'the peer gets the bytes as they were when write() was called', async (net, impl) => {
    const server = await listen(net, {}, (socket) => {
      socket.on('data', (chunk) => {
        const copy = Buffer.from(chunk);
        socket.write(chunk);
        if (impl === 'shim') reported.push(socket._handle.queue.at(-1)?.reported === true);
        chunk.fill(0x2a);
        socket.write(copy.reverse(), () => socket.end());
      });
    });
    const client = await connected(net, server.address().port);
    const got = [];
    client.on('data', (d) => got.push(d));
    client.write('abcdef');
    await new Promise((resolve) => client.on('close', resolve));
    await closed(server);
    return Buffer.concat(got).toString();
  });
  t.ok(reported.length > 0 && reported.every(Boolean), `the shim's answering writes were reported before their sends (${reported})`);
});

t.test("an echo that ends from its 'data' handler: events and callbacks in Node's order", async (t) => {
  await same(t, 'both ends', async (net) => {
    const log = [];
    let serverClosed;
    const serverDone = new Promise((resolve) => { serverClosed = resolve; });
    const server = await listen(net, {}, (socket) => {
      record(socket, ['end', 'finish', 'close', 'drain'], log, 's:');
      socket.on('close', serverClosed);
      socket.on('data', (chunk) => {
        log.push(`s:write:${socket.write(chunk, () => log.push('s:cb1'))}`);
        log.push(`s:write:${socket.write('!', () => log.push('s:cb2'))}`);
        socket.end(() => log.push('s:end-cb'));
        log.push(`s:writableLength:${socket.writableLength}`);
      });
    });
    const client = await connected(net, server.address().port);
    record(client, ['end', 'finish', 'close'], log, 'c:');
    const got = [];
    client.on('data', (d) => got.push(d));
    // (Not end('ping'): an end of stream in the batch that carries the last bytes is seen at
    // once, where libuv's partial read leaves it for the next wake-up -- a known difference.)
    client.write('ping');
    await Promise.all([new Promise((resolve) => client.on('close', resolve)), serverDone]);
    await closed(server);
    // The two ends' events interleave by timing; each end's own order is compared.
    return { server: log.filter((e) => e.startsWith('s:')), client: log.filter((e) => e.startsWith('c:')), got: Buffer.concat(got).toString() };
  });
});

t.test('a peer that resets after its bytes: the answer meets the error Node reports', async (t) => {
  for (let round = 0; round < 20; round++) {
    const results = {};
    for (const [impl, net] of Object.entries(impls)) {
      const server = await listen(net, {}, (socket) => {
        socket.on('error', (e) => log.push(`error:${e.code}:${e.syscall}`));
        socket.on('close', (hadError) => log.push(`close:${hadError}`));
        socket.on('data', () => socket.write('answer', (e) => log.push(`cb:${e?.code ?? null}`)));
      });
      const log = [];
      const client = await connected(net, server.address().port);
      client.on('error', () => {});
      client.write('question');
      client.resetAndDestroy();
      for (let start = Date.now(); !log.some((e) => e.startsWith('close')) && Date.now() - start < 2000;) await new Promise((r) => setTimeout(r, 5));
      await closed(server);
      // Which of ECONNRESET and EPIPE a write after a reset meets races in the kernel, under Node too.
      results[impl] = log.map((e) => e.replace(/EPIPE|ECONNRESET/, '<RESET>'));
    }
    t.strictSame(results.shim, results.node, `round ${round + 1}: ${results.node.join(' ')}`);
  }
});

t.test('http keep-alive answers come back whole, in order, from the ring', async (t) => {
  const before = stats().completions;
  // http's server over shim sockets: its connection listener takes any net.Socket.
  const app = http.createServer((req, res) => res.end(`you asked ${req.url}`));
  const server = await listen(impls.shim, {}, (socket) => app.emit('connection', socket));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => new Promise((resolve, reject) => {
    http.get({ port: server.address().port, host: '127.0.0.1', path: `/${i}`, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => { body += d; }).on('end', () => resolve(body));
    }).on('error', reject);
  })));
  agent.destroy();
  await new Promise((resolve) => server.close(resolve));
  t.strictSame(answers, Array.from({ length: 200 }, (_, i) => `you asked /${i}`));
  t.ok(stats().completions - before > 200, 'the ring carried them');
});

t.test('an answer written just before process.exit() still reaches the peer', async (t) => {
  const { spawn } = await import('node:child_process');
  const { once } = await import('node:events');
  const nodeNet = impls.node;
  const child = spawn(process.execPath, ['--input-type=module', '-e', `
    import net from 'uring-shim/net';
    const server = net.createServer((socket) => socket.on('data', () => {
      socket.write('bye');
      process.exit(0);
    }));
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const [line] = await once(child.stdout, 'data');
  const client = await connected(nodeNet, Number(String(line).trim()));
  let got = '';
  client.on('data', (d) => { got += d; }).on('error', () => {});
  client.write('hello');
  await once(client, 'close');
  t.equal(got, 'bye');
  t.equal((await exited)[0], 0);
});

// Reported answers' lent bytes are copied into shim-owned chunks that later answers reuse: a
// chunk must not be written again while a send that carries copies in it is queued or in
// flight (a partial send to a paused reader, several sockets' answers of one batch).
t.test("answers' copies reach every peer intact while later answers reuse the memory", async (t) => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-shim-answers-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  let reportedLarge = 0;
  await same(t, 'each peer gets back exactly the bytes it sent', async (net, impl) => {
    const server = net.createServer((socket) => socket.on('data', (chunk) => {
      socket.write(chunk);
      if (impl === 'shim' && chunk.length > 4096 && socket._handle.queue.at(-1)?.reported) reportedLarge++;
      // Done at once (libuv took it whole, or the shim reported it): the Buffer is the caller's again.
      if (socket.writableLength === 0) chunk.fill(0x2a);
    }));
    const where = path.join(dir, impl);
    await new Promise((resolve) => server.listen(where, resolve));
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => exchange(where, i)));
    await closed(server);
    return results;
  });
  t.ok(reportedLarge > 0, `answers over 4 KiB were copied and reported (${reportedLarge})`);
});

// One peer: ~1 MiB in messages of 1 B to 16 KiB. Peers 0 and 1 keep up to 16 unanswered and stop
// reading for a while now and then, so the server's sends to them come up short; the others send
// each message once the last is answered, so the server gets (and copies) one message at a time.
function exchange(where, peer) {
  let seed = peer + 1;
  const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed; };
  const messages = [];
  for (let total = 0; total < 1 << 20;) {
    const message = Buffer.alloc(1 + (random() % 16384));
    for (let i = 0; i < message.length; i++) message[i] = random() & 0xff;
    messages.push(message);
    total += message.length;
  }
  const sent = Buffer.concat(messages);
  return new Promise((resolve, reject) => {
    const client = impls.node.connect(where);
    const got = [];
    let received = 0;
    let next = 0;
    let answered = 0;  // messages whose bytes have all come back
    const window = peer < 2 ? 16 : 1;
    const sendMore = () => {
      while (next < messages.length && next - answered < window) client.write(messages[next++]);
    };
    client.on('connect', sendMore);
    client.on('data', (data) => {
      got.push(data);
      const before = received;
      received += data.length;
      let end = 0;
      for (let i = 0; i < answered; i++) end += messages[i].length;
      while (answered < next && end + messages[answered].length <= received) end += messages[answered++].length;
      if (peer < 2 && Math.floor(received / (192 * 1024)) > Math.floor(before / (192 * 1024))) {
        client.pause();
        setTimeout(() => client.resume(), 20);
      }
      if (received === sent.length) client.end();
      else sendMore();
    });
    client.on('end', () => resolve({ peer, bytes: received, intact: Buffer.concat(got).equals(sent) }));
    client.on('error', reject);
  });
}
