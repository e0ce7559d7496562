// Workers terminated while thousands of ring operations are in flight: no crash, no hang, and
// every ring and descriptor a Worker held is gone once it has exited.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const promises = fileURLToPath(new URL('../../dist/cjs/fs/promises.js', import.meta.url));

const child = `
const { Worker } = require('node:worker_threads');
const { readdirSync } = require('node:fs');
const code = ${JSON.stringify(`
  const fsp = require(${JSON.stringify(promises)});
  const { parentPort } = require('node:worker_threads');
  (async () => {
    await Promise.all(Array.from({ length: 2000 }, () => fsp.readFile('/etc/hostname')));
    parentPort.postMessage('busy');
    for (;;) await Promise.all(Array.from({ length: 256 }, () => fsp.stat('/etc/hostname')));
  })();
`)};
const fds = () => readdirSync('/proc/self/fd').length;
const before = fds();
let exited = 0;
function next() {
  const worker = new Worker(code, { eval: true });
  worker.on('message', () => setTimeout(() => worker.terminate(), Math.random() * 5));
  worker.on('error', (error) => { console.error(error); process.exit(2); });
  worker.on('exit', () => {
    if (++exited < 30) return next();
    setImmediate(() => console.log(JSON.stringify({ before, after: fds(), exited })));
  });
}
next();
`;

function terminateThirty(t, env) {
  const result = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8', timeout: 90_000, env: { ...process.env, ...env } });
  t.equal(result.signal, null, `not killed by a signal (${result.stderr.slice(0, 500)})`);
  t.equal(result.status, 0, 'the process exits normally');
  const report = JSON.parse(result.stdout.trim().split('\n').pop());
  t.equal(report.exited, 30, 'every Worker exited');
  t.equal(report.after, report.before, 'descriptors back where they started');
}

t.test('30 Workers terminated mid-flight', async (t) => terminateThirty(t, {}));

// Refused kinds run as system calls on the threadpool: teardown waits for those too.
t.test('30 Workers terminated mid-flight, reads and stats served by the threadpool', async (t) =>
  terminateThirty(t, { URING_SHIM_TEST_REFUSE: 'read,statx' }));
