// What net.js costs per echoed message with no I/O under it (`run.mjs --floor`): 50 net.Sockets
// over handles that take every write at once, fed chunks as the shim's ring handles feed them
// -- each its own ArrayBuffer, the tick queue run after each, as Node runs it after every
// callback. This is the part of a drop-in's echo that is Node's own code, which any drop-in
// runs unchanged. `<size> <messages>`: prints {"microseconds": CPU time per message, "messages",
// "echoed": the bytes net.js handed back to the handles while timed}.
import { createRequire } from 'node:module';
import net from 'node:net';

const require = createRequire(import.meta.url);
const { setReadResult, setWriteDispatched } = require('../../dist/cjs/net/stream-base.js');
const { runTaskQueue, taskQueueRunnable } = require('../../dist/cjs/ring.js');

const [size, messages] = process.argv.slice(2).map(Number);
const CONNECTIONS = 50;
const BATCH = 1000;

let echoed = 0;
// The least a stream handle must be for net.Socket to run over it.
class InstantHandle {
  readStart() { return 0; }
  readStop() { return 0; }
  writeBuffer(req, data) {
    echoed += data.byteLength;
    setWriteDispatched(data.byteLength, false);
    return 0;
  }
  getAsyncId() { return -1; }
}

const source = new Uint8Array(Buffer.allocUnsafeSlow(1 << 20).buffer);
const handles = Array.from({ length: CONNECTIONS }, () => {
  const handle = new InstantHandle();
  const socket = new net.Socket({ handle, readable: true, writable: true });
  socket.on('data', (chunk) => socket.write(chunk));
  return handle;
});
await new Promise((resolve) => setImmediate(resolve));

let sent = 0;
function batch() {
  for (let i = 0; i < BATCH; i++, sent++) {
    const at = (sent % 1024) * 64;
    const chunk = source.slice(at, at + size);
    setReadResult(size);
    handles[sent % CONNECTIONS].onread(chunk.buffer);
    if (taskQueueRunnable) runTaskQueue();
  }
}

// Batches of messages, a loop turn between them, until `count` more have been echoed.
async function echo(count) {
  const until = sent + count;
  while (sent < until) {
    batch();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

await echo(messages / 4);  // untimed, for the JIT
echoed = 0;
const [first, before] = [sent, process.cpuUsage()];
await echo(messages);
const spent = process.cpuUsage(before);
const timed = sent - first;
process.stdout.write(`${JSON.stringify({ microseconds: (spent.user + spent.system) / timed, messages: timed, echoed })}\n`);
