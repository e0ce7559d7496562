// fs.open / fs.close (callback API): node:fs is the oracle, uring-shim/fs is under test.
import t from 'tap';
import fs from 'node:fs';
import { twins } from '../helpers/twin.mjs';

const layout = { 'f.txt': 'hello', dir: { 'x.txt': 'x' } };

// The fd a callback got, closed again, so the record says only whether it was a valid fd.
function closeFd(cb) {
  return (err, fd, ...rest) => {
    if (Number.isInteger(fd)) {
      fs.closeSync(fd);
      return cb(err, '<fd>', ...rest);
    }
    return cb(err, fd, ...rest);
  };
}

t.test('open overloads and errors', async (t) => {
  const tw = twins(t, layout, { callbacks: true });
  const cases = {
    '(path, cb)': [(f, d, cb) => f.open(`${d}/f.txt`, closeFd(cb)), 'ok'],
    '(path, flags, cb)': [(f, d, cb) => f.open(`${d}/f.txt`, 'r+', closeFd(cb)), 'ok'],
    '(path, flags, mode, cb)': [(f, d, cb) => f.open(`${d}/new.txt`, 'w', 0o600, closeFd(cb)), 'ok'],
    '(path, flags, undefined, cb)': [(f, d, cb) => f.open(`${d}/f.txt`, 'r', undefined, closeFd(cb)), 'ok'],
    '(path, undefined, cb)': [(f, d, cb) => f.open(`${d}/f.txt`, undefined, closeFd(cb)), 'ok'],
    '(path, null, null, cb)': [(f, d, cb) => f.open(`${d}/f.txt`, null, null, closeFd(cb)), 'ok'],
    '(path, numeric flags, cb)': [(f, d, cb) => f.open(`${d}/f.txt`, fs.constants.O_RDWR, closeFd(cb)), 'ok'],
    '(Buffer path, cb)': [(f, d, cb) => f.open(Buffer.from(`${d}/f.txt`), closeFd(cb)), 'ok'],
    '(URL, cb)': [(f, d, cb) => f.open(new URL(`file://${d}/f.txt`), closeFd(cb)), 'ok'],
    'string mode': [(f, d, cb) => f.open(`${d}/m.txt`, 'w', '0640', closeFd(cb)), 'ok'],
    ENOENT: [(f, d, cb) => f.open(`${d}/missing`, closeFd(cb)), 'ENOENT'],
    'ENOENT Buffer path': [(f, d, cb) => f.open(Buffer.from(`${d}/missing`), closeFd(cb)), 'ENOENT'],
    EEXIST: [(f, d, cb) => f.open(`${d}/f.txt`, 'wx', closeFd(cb)), 'EEXIST'],
    EISDIR: [(f, d, cb) => f.open(`${d}/dir`, 'w', closeFd(cb)), 'EISDIR'],
    ENOTDIR: [(f, d, cb) => f.open(`${d}/f.txt/x`, closeFd(cb)), 'ENOTDIR'],
    'path number': [(f, d, cb) => f.open(5, closeFd(cb)), 'ERR_INVALID_ARG_TYPE'],
    'path with NUL': [(f, d, cb) => f.open(`${d}/f\u0000`, closeFd(cb)), 'ERR_INVALID_ARG_VALUE'],
    'bad flags': [(f, d, cb) => f.open(`${d}/f.txt`, 'bogus', closeFd(cb)), 'ERR_INVALID_ARG_VALUE'],
    'bad mode': [(f, d, cb) => f.open(`${d}/f.txt`, 'r', -1, closeFd(cb)), 'ERR_OUT_OF_RANGE'],
    'no callback': [(f, d) => f.open(`${d}/f.txt`, 'r'), 'ERR_INVALID_ARG_TYPE'],
    'callback not a function': [(f, d) => f.open(`${d}/f.txt`, 'r', 0o666, 42), 'ERR_INVALID_ARG_TYPE'],
  };
  for (const [name, [op, expect]] of Object.entries(cases)) await tw.same(t, `open ${name}`, op, expect);
  tw.sameTree(t);
});

t.test('close', async (t) => {
  const tw = twins(t, layout, { callbacks: true });
  await tw.same(t, 'close an open fd', (f, d, cb) => f.close(fs.openSync(`${d}/f.txt`), cb), 'ok');
  await tw.same(t, 'close a closed fd: EBADF', (f, d, cb) => {
    const fd = fs.openSync(`${d}/f.txt`);
    fs.closeSync(fd);
    f.close(fd, cb);
  }, 'EBADF');
  for (const [name, fd] of Object.entries({ string: '3', negative: -1, float: 1.5, huge: 2 ** 31 })) {
    await tw.same(t, `close(${name})`, (f, d, cb) => f.close(fd, cb), (r) => r.outcome === 'throw');
  }
  await tw.same(t, 'close(fd, null)', (f, d, cb) => f.close(fs.openSync(`${d}/f.txt`), null), 'ERR_INVALID_ARG_TYPE');
});

// Without a callback Node's close throws a failure as an uncaught exception; with one it
// reports nothing.
t.test('close without a callback', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const src = (mod) => `
    const fs = require(${JSON.stringify(mod)});
    process.on('uncaughtException', (e) => { console.log(JSON.stringify({ code: e.code, syscall: e.syscall, message: e.message })); });
    const fd = require('fs').openSync(__filename === '[eval]' ? '/dev/null' : __filename, 'r');
    fs.close(fd);
    setTimeout(() => { fs.close(fd); setTimeout(() => console.log('done'), 50); }, 50);`;
  const run = (mod) => spawnSync(process.execPath, ['-e', src(mod)], { encoding: 'utf8' });
  const node = run('fs');
  const shim = run(new URL('../../dist/cjs/fs/index.js', import.meta.url).pathname);
  t.match(node.stdout, /EBADF/, 'Node: EBADF surfaces as an uncaught exception');
  t.equal(shim.stdout, node.stdout, 'same output');
  t.equal(shim.status, node.status, 'same exit status');
});
