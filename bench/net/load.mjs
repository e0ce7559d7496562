// Load generator (always plain node, pinned to the other core):
//   echo <port> <conns> <size> <seconds>: ping-pong messages, prints messages/s and their number
//   http <port> <conns> <seconds>: keep-alive GETs, prints requests/s, their number and p99 (ms)
//   sink: listens, discards, prints its port
import net from 'node:net';

const [kind, ...rest] = process.argv.slice(2);
const until = (seconds) => Date.now() + seconds * 1000;

if (kind === 'sink') {
  const server = net.createServer((s) => s.on('data', () => {}).on('error', () => {}));
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
  process.on('SIGTERM', () => process.exit(0));
} else if (kind === 'echo') {
  const [port, conns, size, seconds] = rest.map(Number);
  const message = Buffer.alloc(size, 120);
  const end = until(seconds);
  let messages = 0;
  await Promise.all(Array.from({ length: conns }, () => new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(message));
    socket.setNoDelay(true);
    let got = 0;
    socket.on('data', (d) => {
      got += d.length;
      if (got < size) return;
      got -= size;
      messages++;
      if (Date.now() < end) socket.write(message);
      else socket.end(resolve);
    });
  })));
  process.stdout.write(`${JSON.stringify({ rate: messages / seconds, ops: messages })}\n`);
} else if (kind === 'http') {
  const [port, conns, seconds] = rest.map(Number);
  const request = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  const latencies = [];
  const end = until(seconds);
  await Promise.all(Array.from({ length: conns }, () => new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    let sent = process.hrtime.bigint();
    let buffered = '';
    const send = () => { sent = process.hrtime.bigint(); socket.write(request); };
    socket.on('connect', send);
    socket.on('data', (d) => {
      buffered += d;
      // One response per request: headers, then an 11-byte body (content-length: 11).
      let at;
      while ((at = buffered.indexOf('\r\n\r\n')) !== -1 && buffered.length >= at + 4 + 11) {
        buffered = buffered.slice(at + 4 + 11);
        latencies.push(Number(process.hrtime.bigint() - sent) / 1e6);
        if (Date.now() < end) send();
        else return socket.end(resolve);
      }
    });
  })));
  latencies.sort((a, b) => a - b);
  process.stdout.write(`${JSON.stringify({ rate: latencies.length / seconds, ops: latencies.length, p99: latencies[Math.floor(latencies.length * 0.99)] })}\n`);
}
