// The process under test for the net benchmarks: plain node, or node with uring-shim/register.
//   echo: writes back what it reads (N1)    http: hello world (N2)
//   send <port> <bytes> <conns>: sends `bytes` over `conns` connections to a sink in 64 KiB
//   writes, honouring 'drain' (N3), and prints the elapsed seconds.
import net from 'node:net';
import http from 'node:http';

const [kind, ...rest] = process.argv.slice(2);
// Ready line: "<port> <pid>" (the pid is node's own, also under strace or taskset).
const ready = (server) => server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port} ${process.pid}\n`));

if (kind === 'echo') {
  ready(net.createServer((socket) => socket.on('data', (chunk) => socket.write(chunk)).on('error', () => {})));
} else if (kind === 'http') {
  ready(http.createServer((req, res) => res.end('hello world')));
} else if (kind === 'send') {
  const [port, bytes, conns] = rest.map(Number);
  const chunk = Buffer.alloc(64 * 1024, 1);
  const per = Math.floor(bytes / conns / chunk.length);
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: conns }, () => new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', async () => {
      for (let i = 0; i < per; i++) {
        if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
      }
      socket.end(resolve);
    }).on('error', reject);
  })));
  process.stdout.write(`${JSON.stringify({ seconds: Number(process.hrtime.bigint() - start) / 1e9, bytes: per * conns * chunk.length })}\n`);
}
process.on('SIGTERM', () => process.exit(0));
