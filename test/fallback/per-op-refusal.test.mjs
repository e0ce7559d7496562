// When this kernel's io_uring refuses an operation (EINVAL / EOPNOTSUPP for an opcode or a
// file) that the system call itself would do, the op runs as that system call on the
// threadpool, as Node's would, and the kind is remembered. URING_SHIM_TEST_REFUSE makes the
// kernel itself answer EOPNOTSUPP (a NOP injecting the result) for the named kinds.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const everyKind = 'openat,close,read,write,readv,writev,statx,fsync,ftruncate,renameat,unlinkat,mkdirat,linkat,symlinkat';

t.test('every kind refused: results and errors stay Node\'s (differential suite)', async (t) => {
  const files = ['open-close', 'read-write', 'stat', 'dirs-links']
    .map((name) => `test/fs-promises/${name}.test.mjs`);
  const run = spawnSync(process.execPath, ['node_modules/.bin/tap', '--reporter=terse', '--timeout=240', ...files], {
    cwd: root, encoding: 'utf8', env: { ...process.env, URING_SHIM_TEST_REFUSE: everyKind }, timeout: 300_000,
  });
  t.equal(run.status, 0, `the differential tests pass with every kind refused\n${run.stdout.slice(-3000)}${run.stderr.slice(-2000)}`);
});

t.test('a refused kind is remembered and counted', async (t) => {
  const script = `
    const fsp = require('uring-shim/fs/promises');
    const { stats } = require('uring-shim');
    (async () => {
      const first = await fsp.stat(${JSON.stringify(root)});
      const afterFirst = stats();
      await Promise.all(Array.from({ length: 20 }, () => fsp.stat(${JSON.stringify(root)})));
      const error = await fsp.stat('/no/such/path').catch((e) => ({ code: e.code, syscall: e.syscall, path: e.path, message: e.message }));
      const after = stats();
      console.log(JSON.stringify({ isDirectory: first.isDirectory(), afterFirst: afterFirst.servedByThreadpool, after: after.servedByThreadpool,
        refused: after.refusedByKernel, ringStat: after.ring.stat, error }));
    })();`;
  const run = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, URING_SHIM_TEST_REFUSE: 'statx' } });
  t.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  t.equal(out.isDirectory, true, 'the refused stat still answered');
  t.equal(out.afterFirst, 1, 'the first refusal went to the threadpool');
  t.strictSame(out.refused, ['statx'], 'statx is remembered as refused');
  t.equal(out.after, 22, 'later stats went straight to the threadpool, errors included');
  t.equal(out.ringStat, 22, 'and are still counted as the shim\'s stat calls');
  t.strictSame(out.error, { code: 'ENOENT', syscall: 'stat', path: '/no/such/path', message: "ENOENT: no such file or directory, stat '/no/such/path'" }, 'Node\'s error');
});

t.test('nothing refused: nothing served by the threadpool', async (t) => {
  const script = `
    const fsp = require('uring-shim/fs/promises');
    const { stats } = require('uring-shim');
    fsp.stat('.').then(() => console.log(JSON.stringify(stats())));`;
  const env = { ...process.env };
  delete env.URING_SHIM_TEST_REFUSE;
  const run = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', env });
  const out = JSON.parse(run.stdout);
  t.equal(out.servedByThreadpool, 0);
  t.strictSame(out.refusedByKernel, []);
});
