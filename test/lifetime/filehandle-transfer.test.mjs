// A FileHandle opened on the ring moves to a Worker as Node's own does: the Worker gets a working
// handle that owns the descriptor, the sender's handle lets go of it without closing it, and a
// handle in use cannot be transferred.
import t from 'tap';
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import * as nodeFsp from 'node:fs/promises';
import * as shimFsp from 'uring-shim/fs/promises';
import { fdCount } from '../helpers/twin.mjs';

const dir = fs.mkdtempSync('/tmp/uring-transfer-');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = `${dir}/data.txt`;
fs.writeFileSync(file, 'hello from the main thread');

const workerSource = `
  const { parentPort, workerData } = require('node:worker_threads');
  (async () => {
    const { handle } = workerData;
    const text = await handle.readFile('utf8');
    const fd = handle.fd;
    await handle.close();
    parentPort.postMessage({ text, fd });
  })();
`;

async function transferOnce(fsp) {
  const handle = await fsp.open(file, 'r');
  const fd = handle.fd;
  let closedHere = false;
  handle.on('close', () => { closedHere = true; });
  const worker = new Worker(workerSource, { eval: true, workerData: { handle }, transferList: [handle] });
  const [reply] = await Promise.all([new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject)), new Promise((resolve) => worker.once('exit', resolve))]);
  return { reply: { text: reply.text, sameFd: reply.fd === fd }, senderFd: handle.fd, closedHere };
}

t.test('transfer to a Worker: Node and the shim agree', async (t) => {
  const before = fdCount();
  const node = await transferOnce(nodeFsp);
  const shim = await transferOnce(shimFsp);
  t.strictSame(shim, node, 'same reply, sender left with fd -1, no close event on the sender');
  t.strictSame(node.reply, { text: 'hello from the main thread', sameFd: true }, 'the oracle did what the test expects');
  t.equal(fdCount(), before, 'the Worker closed the descriptor; nothing leaked');
});

t.test('a handle in use cannot be transferred, and stays usable', async (t) => {
  for (const fsp of [nodeFsp, shimFsp]) {
    const handle = await fsp.open(file, 'r');
    const stream = handle.createReadStream({ autoClose: false });
    t.throws(() => new Worker('', { eval: true, workerData: { handle }, transferList: [handle] }), { name: 'DataCloneError', code: 25 });
    stream.destroy();
    t.equal((await handle.read(Buffer.alloc(5), 0, 5, 0)).bytesRead, 5, 'still readable after the refused transfer');
    await handle.close();
  }
});
