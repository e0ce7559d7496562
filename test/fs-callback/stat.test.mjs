// fs.stat / fs.lstat / fs.fstat (callback API): node:fs is the oracle.
import t from 'tap';
import fs from 'node:fs';
import { nodeMajor, twins } from '../helpers/twin.mjs';

const layout = { 'f.txt': 'hello', dir: { 'x.txt': 'x' }, link: { $symlink: 'f.txt' }, dangling: { $symlink: 'nope' } };

t.test('stat and lstat', async (t) => {
  const tw = twins(t, layout, { callbacks: true });
  for (const api of ['stat', 'lstat']) {
    const cases = {
      '(file, cb)': [(f, d, cb) => f[api](`${d}/f.txt`, cb), 'ok'],
      '(dir, cb)': [(f, d, cb) => f[api](`${d}/dir`, cb), 'ok'],
      '(symlink, cb)': [(f, d, cb) => f[api](`${d}/link`, cb), 'ok'],
      '(dangling symlink, cb)': [(f, d, cb) => f[api](`${d}/dangling`, cb), api === 'stat' ? 'ENOENT' : 'ok'],
      '(file, {bigint: true}, cb)': [(f, d, cb) => f[api](`${d}/f.txt`, { bigint: true }, cb), 'ok'],
      '(file, {bigint: 1}, cb)': [(f, d, cb) => f[api](`${d}/f.txt`, { bigint: 1 }, cb), 'ok'],
      '(file, undefined, cb)': [(f, d, cb) => f[api](`${d}/f.txt`, undefined, cb), 'ok'],
      '(file, "x", cb)': [(f, d, cb) => f[api](`${d}/f.txt`, 'x', cb), 'ok'],
      '(Buffer, cb)': [(f, d, cb) => f[api](Buffer.from(`${d}/f.txt`), cb), 'ok'],
      '(URL, cb)': [(f, d, cb) => f[api](new URL(`file://${d}/f.txt`), cb), 'ok'],
      ENOENT: [(f, d, cb) => f[api](`${d}/missing`, cb), 'ENOENT'],
      'ENOENT bigint': [(f, d, cb) => f[api](`${d}/missing`, { bigint: true }, cb), 'ENOENT'],
      ENOTDIR: [(f, d, cb) => f[api](`${d}/f.txt/x`, cb), 'ENOTDIR'],
      'empty path': [(f, d, cb) => f[api]('', cb), 'ENOENT'],
      // Node 24's fs.stat takes a null options argument (its lstat still throws).
      'options null': [(f, d, cb) => f[api](`${d}/f.txt`, null, cb), (r) => r.outcome === (nodeMajor >= 24 && api === 'stat' ? 'callback' : 'throw')],
      'path number': [(f, d, cb) => f[api](1, cb), 'ERR_INVALID_ARG_TYPE'],
      'no callback': [(f, d) => f[api](`${d}/f.txt`), 'ERR_INVALID_ARG_TYPE'],
    };
    for (const [name, [op, expect]] of Object.entries(cases)) await tw.same(t, `${api} ${name}`, op, expect);
  }
});

t.test('fstat', async (t) => {
  const tw = twins(t, layout, { callbacks: true });
  const onFd = (rel, run) => (f, d, cb) => {
    const fd = fs.openSync(`${d}/${rel}`);
    run(f, fd, (...a) => { fs.closeSync(fd); cb(...a); });
  };
  await tw.same(t, 'fstat(fd, cb)', onFd('f.txt', (f, fd, cb) => f.fstat(fd, cb)), 'ok');
  await tw.same(t, 'fstat(dir fd, cb)', onFd('dir', (f, fd, cb) => f.fstat(fd, cb)), 'ok');
  await tw.same(t, 'fstat(fd, {bigint: true}, cb)', onFd('f.txt', (f, fd, cb) => f.fstat(fd, { bigint: true }, cb)), 'ok');
  await tw.same(t, 'fstat closed fd: EBADF without path', (f, d, cb) => {
    const fd = fs.openSync(`${d}/f.txt`);
    fs.closeSync(fd);
    f.fstat(fd, cb);
  }, 'EBADF');
  for (const [name, fd] of Object.entries({ string: '3', negative: -1, float: 1.5 })) {
    await tw.same(t, `fstat(${name})`, (f, d, cb) => f.fstat(fd, cb), (r) => r.outcome === 'throw');
  }
  await tw.same(t, 'fstat no callback', (f) => f.fstat(0), 'ERR_INVALID_ARG_TYPE');
});

t.test('stats object details match Node (times on one file)', async (t) => {
  const tw = twins(t, layout, { callbacks: true });
  // Both implementations stat the same file, so every field must agree.
  const out = await tw.run((f, d, cb) => f.stat(`${tw.dirs.node}/f.txt`, (e, s) => cb(e, JSON.stringify(s, (k, v) => (typeof v === 'bigint' ? `${v}n` : v)))));
  t.strictSame(out.shim, out.node, 'JSON of the Stats');
  const outBig = await tw.run((f, d, cb) => f.lstat(`${tw.dirs.node}/link`, { bigint: true }, (e, s) => cb(e, JSON.stringify(s, (k, v) => (typeof v === 'bigint' ? `${v}n` : v)))));
  t.strictSame(outBig.shim, outBig.node, 'JSON of the BigIntStats');
});
