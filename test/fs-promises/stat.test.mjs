// stat / lstat: Node's fs.promises is the oracle.
import t from 'tap';
import fs from 'node:fs';
import { twins, statsView } from '../helpers/twin.mjs';

const layout = {
  'file.txt': 'hello world\n',
  'empty': '',
  'big.bin': Buffer.alloc(70000, 7),
  dir: { 'inner.txt': 'inner' },
  'link-to-file': { $symlink: 'file.txt' },
  'link-to-dir': { $symlink: 'dir' },
  'dangling': { $symlink: 'does-not-exist' },
  'loop-a': { $symlink: 'loop-b' },
  'loop-b': { $symlink: 'loop-a' },
  'private': { $mode: 0o700, 'x': 'x' },
};

const targets = ['file.txt', 'empty', 'big.bin', 'dir', 'dir/inner.txt', 'link-to-file',
  'link-to-dir', 'dangling', 'loop-a', 'private', '.', 'dir/', 'dir/../file.txt'];

t.test('stat and lstat over every kind of entry', async (t) => {
  const tw = twins(t, layout);
  for (const fn of ['stat', 'lstat']) {
    for (const rel of targets) {
      await tw.same(t, `${fn} ${rel}`, (fsp, d) => fsp[fn](`${d}/${rel}`));
      await tw.same(t, `${fn} ${rel} bigint`, (fsp, d) => fsp[fn](`${d}/${rel}`, { bigint: true }));
    }
  }
});

t.test('oracle sanity: the layout really has the kinds we think', async (t) => {
  const tw = twins(t, layout);
  const out = await tw.run(async (fsp, d) => ({
    file: (await fsp.stat(`${d}/file.txt`)).isFile(),
    dir: (await fsp.stat(`${d}/dir`)).isDirectory(),
    lfile: (await fsp.lstat(`${d}/link-to-file`)).isSymbolicLink(),
    sfile: (await fsp.stat(`${d}/link-to-file`)).isFile(),
  }));
  t.strictSame(out.node.value, { $proto: 'Object', $keys: ['file', 'dir', 'lfile', 'sfile'], file: true, dir: true, lfile: true, sfile: true });
  t.strictSame(out.shim, out.node);
});

t.test('stat errors', async (t) => {
  const tw = twins(t, layout);
  const cases = [
    ['missing', 'nope', 'ENOENT'],
    ['missing in missing dir', 'nope/deeper', 'ENOENT'],
    ['ENOTDIR through a file', 'file.txt/x', 'ENOTDIR'],
    ['trailing slash on a file', 'file.txt/', 'ENOTDIR'],
    ['dangling symlink', 'dangling', 'ENOENT'],
    ['symlink loop', 'loop-a', 'ELOOP'],
    ['name too long', 'x'.repeat(300), 'ENAMETOOLONG'],
  ];
  for (const [label, rel, code] of cases) {
    await tw.same(t, `stat ${label}`, (fsp, d) => fsp.stat(`${d}/${rel}`), code);
    await tw.same(t, `stat ${label} bigint`, (fsp, d) => fsp.stat(`${d}/${rel}`, { bigint: true }), code);
  }
  // lstat does not follow the final link.
  await tw.same(t, 'lstat dangling ok', (fsp, d) => fsp.lstat(`${d}/dangling`), 'ok');
  await tw.same(t, 'lstat loop ok', (fsp, d) => fsp.lstat(`${d}/loop-a`), 'ok');
  await tw.same(t, 'lstat ENOTDIR', (fsp, d) => fsp.lstat(`${d}/file.txt/x`), 'ENOTDIR');
  await tw.same(t, 'lstat missing', (fsp, d) => fsp.lstat(`${d}/nope`), 'ENOENT');
  await tw.same(t, 'stat relative path missing', (fsp) => fsp.stat('definitely-missing-uring-twin'), 'ENOENT');
});

t.test('stat path forms: Buffer, Uint8Array, file: URL', async (t) => {
  const tw = twins(t, layout);
  await tw.same(t, 'Buffer path', (fsp, d) => fsp.stat(Buffer.from(`${d}/file.txt`)), 'ok');
  await tw.same(t, 'Uint8Array path', (fsp, d) => fsp.stat(new Uint8Array(Buffer.from(`${d}/file.txt`))), 'ok');
  await tw.same(t, 'file URL', (fsp, d) => fsp.stat(new URL(`file://${d}/file.txt`)), 'ok');
  await tw.same(t, 'file URL with %20', (fsp, d) => fsp.stat(new URL(`file://${d}/a%20b`)), 'ENOENT');
  await tw.same(t, 'Buffer path missing', (fsp, d) => fsp.stat(Buffer.from(`${d}/nope`)), 'ENOENT');
  await tw.same(t, 'non-utf8 Buffer path missing',
    (fsp, d) => fsp.lstat(Buffer.concat([Buffer.from(`${d}/`), Buffer.from([0xff, 0xfe])])), 'ENOENT');
});

t.test('stat options', async (t) => {
  const tw = twins(t, layout);
  await tw.same(t, 'bigint false', (fsp, d) => fsp.stat(`${d}/file.txt`, { bigint: false }), 'ok');
  await tw.same(t, 'bigint truthy non-boolean', (fsp, d) => fsp.stat(`${d}/file.txt`, { bigint: 1 }), 'ok');
  await tw.same(t, 'options undefined', (fsp, d) => fsp.stat(`${d}/file.txt`, undefined), 'ok');
  await tw.same(t, 'options empty object', (fsp, d) => fsp.stat(`${d}/file.txt`, {}), 'ok');
  await tw.same(t, 'options string', (fsp, d) => fsp.stat(`${d}/file.txt`, 'utf8'), 'ok');
  // Node reads options.bigint without a null check: a plain V8 TypeError rejection.
  await tw.same(t, 'options null', (fsp, d) => fsp.stat(`${d}/file.txt`, null), 'reject');
  await tw.same(t, 'lstat options null', (fsp, d) => fsp.lstat(`${d}/file.txt`, null), 'reject');
});

t.test('deterministic times are reproduced exactly (ms float formula, ns bigint)', async (t) => {
  const tw = twins(t, layout);
  // Sub-millisecond fractions exercise msFromTimeSpec: sec * 1e3 + nsec / 1e6.
  const atime = 1234567890.123456;
  const mtime = 1600000000.987654;
  tw.each((d) => {
    fs.utimesSync(`${d}/file.txt`, atime, mtime);
    fs.utimesSync(`${d}/dir`, new Date(1e12), new Date(1.5e12));
    fs.lutimesSync(`${d}/link-to-file`, 1000.5, 2000.25);
  });
  for (const [rel, fn] of [['file.txt', 'stat'], ['dir', 'stat'], ['link-to-file', 'lstat'], ['link-to-file', 'stat']]) {
    for (const bigint of [false, true]) {
      await tw.same(t, `${fn} ${rel} times bigint=${bigint}`,
        async (fsp, d) => statsView(await fsp[fn](`${d}/${rel}`, { bigint }), { times: ['atime', 'mtime'] }), 'ok');
    }
  }
  const out = await tw.run(async (fsp, d) => (await fsp.stat(`${d}/file.txt`)).mtimeMs);
  t.not(out.node.value, Math.round(out.node.value), 'oracle: mtimeMs has a fractional part');
});

t.test('stat sees hard links and sizes after writes', async (t) => {
  const tw = twins(t, layout);
  tw.each((d) => {
    fs.linkSync(`${d}/file.txt`, `${d}/hard`);
    fs.writeFileSync(`${d}/sparse`, '');
    fs.truncateSync(`${d}/sparse`, 5 * 1024 * 1024);
  });
  await tw.same(t, 'nlink 2', (fsp, d) => fsp.stat(`${d}/hard`), (r) => r.value.nlink === 2);
  await tw.same(t, 'same inode for both names', async (fsp, d) => {
    const [a, b] = await Promise.all([fsp.stat(`${d}/hard`), fsp.stat(`${d}/file.txt`)]);
    return a.ino === b.ino && a.dev === b.dev;
  }, (r) => r.value === true);
  await tw.same(t, 'sparse file size', (fsp, d) => fsp.stat(`${d}/sparse`, { bigint: true }), (r) => r.value.size === 5n * 1024n * 1024n);
});

t.test('special files', async (t) => {
  const tw = twins(t);
  for (const p of ['/dev/null', '/dev/zero', '/proc/self/status', '/proc/self', '/']) {
    if (!fs.existsSync(p)) continue;
    await tw.same(t, `stat ${p}`, (fsp) => fsp.stat(p), 'ok');
    await tw.same(t, `lstat ${p} bigint`, (fsp) => fsp.lstat(p, { bigint: true }), 'ok');
  }
});

t.test('many concurrent stats return in order', async (t) => {
  const tw = twins(t, (d) => {
    for (let i = 0; i < 50; i++) fs.writeFileSync(`${d}/f${i}`, 'x'.repeat(i));
  });
  await tw.same(t, '50 stats via Promise.all', (fsp, d) =>
    Promise.all(Array.from({ length: 60 }, (_, i) => fsp.stat(`${d}/f${i % 50}`).then((s) => s.size))),
  (r) => r.value[49] === 49 && r.value[55] === 5);
  await tw.same(t, 'mixed successes and failures via allSettled', (fsp, d) =>
    Promise.allSettled(Array.from({ length: 60 }, (_, i) => fsp.lstat(`${d}/f${i}`))), 'ok');
});
