// The shim's ring handles with net.js left out (`run.mjs --floor`): an echo server that speaks to
// RingTCP as net.js does -- onconnection, readStart, onread, writeBuffer -- and nothing more: no
// net.Socket, no stream machinery, no events. What it spends per message is the ring and the
// handle layer; what the shim spends beyond it is net.js. Prints "<port> <pid>" as server.mjs does.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ring = require('../../dist/cjs/ring.js');
const { RingTCP } = require('../../dist/cjs/net/tcp-handle.js');
const { processBinding } = require('../../dist/cjs/net/stream-base.js');

if (!ring.available || ring.receiveBuffers() === null) {
  process.stderr.write(`no ring sockets here: ${ring.fallbackReason ?? 'no provided-buffer receive'}\n`);
  process.exit(1);
}
const { streamBaseState, kReadBytesOrError } = processBinding('stream_wrap');
const written = { oncomplete() {} };

const server = new RingTCP();
server.onconnection = (err, handle) => {
  if (err) return;
  handle.onread = (arrayBuffer) => {
    const nread = streamBaseState[kReadBytesOrError];
    if (nread > 0) handle.writeBuffer(written, new Uint8Array(arrayBuffer, 0, nread));
    else handle.close();
  };
  handle.readStart();
};
const address = {};
const err = server.bind('127.0.0.1', 0) || server.listen(511) || server.getsockname(address);
if (err) throw new Error(`listen: ${err}`);
process.stdout.write(`${address.port} ${process.pid}\n`);
process.on('SIGTERM', () => process.exit(0));
