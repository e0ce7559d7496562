// copyFile, rename, unlink, rmdir, mkdir, link, symlink, truncate (+ readlink/readdir/access/
// realpath/chmod/utimes on paths, used to observe the effects).
import t from 'tap';
import fs from 'node:fs';
import { nodeMajor, twins, capture, pattern, statsView } from '../helpers/twin.mjs';

const C = fs.constants;
const BIG = pattern(2 * 1024 * 1024 + 1, 77);
const layout = () => ({
  'a.txt': 'alpha',
  'b.txt': 'bravo!',
  'big.bin': BIG,
  'exec.sh': '#!/bin/sh\n',
  empty: {},
  full: { 'x.txt': 'x', sub: { 'y.txt': 'y' } },
  'link-a': { $symlink: 'a.txt' },
  'link-dir': { $symlink: 'full' },
  dangling: { $symlink: 'nowhere' },
});

// Each case mutates the tree, so every case gets a fresh pair of twins.
async function each(t, cases, run) {
  for (const [label, ...rest] of cases) {
    await t.test(label, async (t) => {
      const tw = twins(t, layout());
      tw.each((d) => fs.chmodSync(`${d}/exec.sh`, 0o751));
      await run(t, tw, label, ...rest);
      tw.sameTree(t);
    });
  }
}

t.test('copyFile', (t) => each(t, [
  ['new destination', 'a.txt', 'copy.txt', undefined, 'ok'],
  ['overwrites an existing file', 'a.txt', 'b.txt', undefined, 'ok'],
  ['COPYFILE_EXCL on existing -> EEXIST', 'a.txt', 'b.txt', C.COPYFILE_EXCL, 'EEXIST'],
  ['COPYFILE_EXCL on new', 'a.txt', 'c.txt', C.COPYFILE_EXCL, 'ok'],
  ['COPYFILE_FICLONE (falls back to copy)', 'big.bin', 'clone.bin', C.COPYFILE_FICLONE, 'ok'],
  ['COPYFILE_FICLONE_FORCE', 'a.txt', 'forced.txt', C.COPYFILE_FICLONE_FORCE, undefined],
  ['all flags', 'a.txt', 'all.txt', C.COPYFILE_EXCL | C.COPYFILE_FICLONE, 'ok'],
  ['preserves the mode bits', 'exec.sh', 'exec-copy.sh', undefined, 'ok'],
  ['large file', 'big.bin', 'big-copy.bin', 0, 'ok'],
  ['onto itself', 'a.txt', 'a.txt', undefined, 'ok'],
  ['onto itself with EXCL', 'a.txt', 'a.txt', C.COPYFILE_EXCL, 'EEXIST'],
  ['through a symlink (copies the target)', 'link-a', 'from-link.txt', undefined, 'ok'],
  ['onto a symlink (writes through it)', 'b.txt', 'link-a', undefined, 'ok'],
  ['missing source -> ENOENT', 'nope', 'x', undefined, 'ENOENT'],
  ['source is a directory -> EISDIR', 'full', 'x', undefined, 'EISDIR'],
  ['destination is a directory', 'a.txt', 'empty', undefined, 'EISDIR'],
  ['destination dir missing -> ENOENT', 'a.txt', 'nodir/x', undefined, 'ENOENT'],
  ['mode 8 -> out of range', 'a.txt', 'x', 8, 'ERR_OUT_OF_RANGE'],
  ['mode -1 -> out of range', 'a.txt', 'x', -1, 'ERR_OUT_OF_RANGE'],
  ["mode 'x' -> invalid type", 'a.txt', 'x', 'x', 'ERR_INVALID_ARG_TYPE'],
  ['mode null', 'a.txt', 'x', null, 'ok'],
], async (t, tw, label, src, dest, mode, expect) => {
  await tw.same(t, label, (fsp, d) => (mode === undefined
    ? fsp.copyFile(`${d}/${src}`, `${d}/${dest}`)
    : fsp.copyFile(`${d}/${src}`, `${d}/${dest}`, mode)), expect);
}));

t.test('rename', (t) => each(t, [
  ['file to new name', 'a.txt', 'z.txt', 'ok'],
  ['file over file', 'a.txt', 'b.txt', 'ok'],
  ['dir to new name', 'full', 'moved', 'ok'],
  ['dir over empty dir', 'full', 'empty', 'ok'],
  ['dir over non-empty dir -> ENOTEMPTY', 'empty', 'full', 'ENOTEMPTY'],
  ['file over dir -> EISDIR', 'a.txt', 'empty', 'EISDIR'],
  ['dir over file -> ENOTDIR', 'empty', 'a.txt', 'ENOTDIR'],
  ['missing source -> ENOENT', 'nope', 'x', 'ENOENT'],
  ['missing dest dir -> ENOENT', 'a.txt', 'nodir/x', 'ENOENT'],
  ['into own subdirectory -> EINVAL', 'full', 'full/sub/inner', 'EINVAL'],
  ['onto itself', 'a.txt', 'a.txt', 'ok'],
  ['symlink renames the link', 'link-a', 'link-renamed', 'ok'],
  ['dangling symlink', 'dangling', 'dangling2', 'ok'],
  ['file over symlink replaces the link', 'b.txt', 'link-a', 'ok'],
  ['through a file -> ENOTDIR', 'a.txt/x', 'y', 'ENOTDIR'],
  ['dest through a file -> ENOTDIR', 'a.txt', 'b.txt/x', 'ENOTDIR'],
  ['"." -> EBUSY/EINVAL', '.', 'dot', undefined],
], async (t, tw, label, from, to, expect) => {
  await tw.same(t, label, (fsp, d) => fsp.rename(`${d}/${from}`, `${d}/${to}`), expect);
}));

t.test('unlink', (t) => each(t, [
  ['file', 'a.txt', 'ok'],
  ['symlink (not its target)', 'link-a', 'ok'],
  ['symlink to dir', 'link-dir', 'ok'],
  ['dangling symlink', 'dangling', 'ok'],
  ['directory -> EISDIR', 'empty', 'EISDIR'],
  ['non-empty directory', 'full', 'EISDIR'],
  ['missing -> ENOENT', 'nope', 'ENOENT'],
  ['through a file -> ENOTDIR', 'a.txt/x', 'ENOTDIR'],
  ['trailing slash on a file', 'a.txt/', 'ENOTDIR'],
  ['trailing slash on a symlink to a dir', 'link-dir/', undefined],
], async (t, tw, label, rel, expect) => {
  await tw.same(t, label, (fsp, d) => fsp.unlink(`${d}/${rel}`), expect);
}));

t.test('rmdir', (t) => each(t, [
  ['empty dir', 'empty', 'ok'],
  ['empty dir with trailing slash', 'empty/', 'ok'],
  ['non-empty -> ENOTEMPTY', 'full', 'ENOTEMPTY'],
  ['file -> ENOTDIR', 'a.txt', 'ENOTDIR'],
  ['symlink to dir -> ENOTDIR', 'link-dir', 'ENOTDIR'],
  ['missing -> ENOENT', 'nope', 'ENOENT'],
  ['"." -> EINVAL', 'empty/.', 'EINVAL'],
  ['".."', 'full/sub/..', 'ENOTEMPTY'],
], async (t, tw, label, rel, expect) => {
  await tw.same(t, label, (fsp, d) => fsp.rmdir(`${d}/${rel}`), expect);
}));

t.test('mkdir', (t) => each(t, [
  ['new dir', 'n', undefined, (r) => r.value === undefined],
  ['existing -> EEXIST', 'empty', undefined, 'EEXIST'],
  ['existing file -> EEXIST', 'a.txt', undefined, 'EEXIST'],
  ['missing parent -> ENOENT', 'x/y', undefined, 'ENOENT'],
  ['through a file -> ENOTDIR', 'a.txt/x', undefined, 'ENOTDIR'],
  ['recursive creates all, returns the first created', 'p/q/r', { recursive: true }, (r) => typeof r.value === 'string'],
  ['recursive with a partial prefix', 'full/sub/new/deeper', { recursive: true }, (r) => r.value === '<TWIN>/full/sub/new'],
  ['recursive, nothing to create -> undefined', 'full/sub', { recursive: true }, (r) => r.outcome === 'resolve' && r.value === undefined],
  ['recursive on an existing file -> EEXIST', 'a.txt', { recursive: true }, 'EEXIST'],
  ['recursive through a file -> ENOTDIR', 'a.txt/b/c', { recursive: true }, 'ENOTDIR'],
  ['recursive through a dangling symlink', 'dangling/x', { recursive: true }, undefined],
  ['recursive through a symlink to a dir', 'link-dir/new', { recursive: true }, 'ok'],
  ['recursive with trailing slash', 'ts/a/', { recursive: true }, 'ok'],
  ['recursive with .. components', 'p/../q/r', { recursive: true }, 'ok'],
  ['recursive false explicit', 'rf', { recursive: false }, 'ok'],
  ['mode number', 'm1', 0o700, 'ok'],
  ['mode string', 'm2', '750', 'ok'],
  ['mode in options', 'm3', { mode: 0o711 }, 'ok'],
  ['mode with recursive', 'm4/a/b', { mode: 0o700, recursive: true }, 'ok'],
  ['mode with sticky bit', 'm5', { mode: 0o1777 }, 'ok'],
  ['mode invalid', 'm6', { mode: 'rwx' }, 'ERR_INVALID_ARG_VALUE'],
  ['recursive not boolean', 'm7', { recursive: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
  ['options null', 'm8', null, 'ok'],
  ['options boolean (ignored)', 'm9', true, 'ok'],
], async (t, tw, label, rel, opts, expect) => {
  await tw.same(t, label, (fsp, d) => (opts === undefined ? fsp.mkdir(`${d}/${rel}`) : fsp.mkdir(`${d}/${rel}`, opts)), expect);
  await tw.same(t, `${label}: Buffer path`, (fsp, d) => fsp.mkdir(Buffer.from(`${d}/buf-${rel.replace(/\//g, '_')}`), { recursive: true }), 'ok');
}));

t.test('link', (t) => each(t, [
  ['new hard link', 'a.txt', 'hard', 'ok'],
  ['existing destination -> EEXIST', 'a.txt', 'b.txt', 'EEXIST'],
  ['directory -> EPERM', 'full', 'dirlink', 'EPERM'],
  ['missing source -> ENOENT', 'nope', 'x', 'ENOENT'],
  ['link to a symlink links the symlink itself', 'link-a', 'hard-to-link', 'ok'],
  ['link of a dangling symlink', 'dangling', 'hard-dangling', 'ok'],
  ['missing dest dir -> ENOENT', 'a.txt', 'nodir/x', 'ENOENT'],
], async (t, tw, label, from, to, expect) => {
  await tw.same(t, label, (fsp, d) => fsp.link(`${d}/${from}`, `${d}/${to}`), expect);
  await tw.same(t, `${label}: inode identity`, async (fsp, d) => {
    try {
      const [a, b] = [await fsp.lstat(`${d}/${from}`), await fsp.lstat(`${d}/${to}`)];
      return { sameInode: a.ino === b.ino, nlink: [a.nlink, b.nlink] };
    } catch (e) { return e.code; }
  });
}));

// Node 22 ignores a type that is not a string and has its own error for unknown strings; Node 24
// takes only 'dir', 'file', 'junction', null and undefined (Node 23 is no target: not checked).
const typeValidated = nodeMajor >= 23;
t.test('symlink', (t) => each(t, [
  ['relative target', 'a.txt', 's1', undefined, 'ok'],
  ['absolute target', '<abs>/a.txt', 's2', undefined, 'ok'],
  ['dangling target', 'nothing-here', 's3', undefined, 'ok'],
  ["type 'file' ignored", 'full', 's4', 'file', 'ok'],
  ["type 'dir'", 'a.txt', 's5', 'dir', 'ok'],
  ["type 'junction'", 'full', 's6', 'junction', 'ok'],
  ['type null', 'a.txt', 's7', null, 'ok'],
  ['type number', 'a.txt', 's8', 42, typeValidated ? 'ERR_INVALID_ARG_VALUE' : 'ok'],
  ['type invalid string', 'a.txt', 's9', 'bogus', typeValidated ? 'ERR_INVALID_ARG_VALUE' : 'ERR_FS_INVALID_SYMLINK_TYPE'],
  ['existing path -> EEXIST', 'a.txt', 'b.txt', undefined, 'EEXIST'],
  ['missing dir -> ENOENT', 'a.txt', 'nodir/s', undefined, 'ENOENT'],
  ['target with trailing slash', 'full/', 's10', undefined, 'ok'],
  ['empty target -> ENOENT', '', 's11', undefined, 'ENOENT'],
], async (t, tw, label, target, rel, type, expect) => {
  await tw.same(t, label, (fsp, d) => {
    const tgt = target.replace('<abs>', d);
    return type === undefined ? fsp.symlink(tgt, `${d}/${rel}`) : fsp.symlink(tgt, `${d}/${rel}`, type);
  }, expect);
  await tw.same(t, `${label}: readlink`, (fsp, d) => fsp.readlink(`${d}/${rel}`));
  await tw.same(t, `${label}: readlink as buffer`, (fsp, d) => fsp.readlink(`${d}/${rel}`, 'buffer'));
}));

t.test('truncate', (t) => each(t, [
  ['default length 0', 'b.txt', [], 'ok'],
  ['shorter', 'b.txt', [3], 'ok'],
  ['longer (zero-filled)', 'b.txt', [100], 'ok'],
  ['same length', 'b.txt', [6], 'ok'],
  ['negative length -> 0', 'b.txt', [-1], 'ok'],
  ['length undefined', 'b.txt', [undefined], 'ok'],
  ['length null -> invalid type', 'b.txt', [null], 'ERR_INVALID_ARG_TYPE'],
  ['length float -> out of range', 'b.txt', [1.5], 'ERR_OUT_OF_RANGE'],
  ['length string -> invalid type', 'b.txt', ['3'], 'ERR_INVALID_ARG_TYPE'],
  ['length bigint -> invalid type', 'b.txt', [3n], 'ERR_INVALID_ARG_TYPE'],
  ['length 2**53 -> out of range', 'b.txt', [2 ** 53], 'ERR_OUT_OF_RANGE'],
  ['large length (sparse)', 'b.txt', [2 ** 33], 'ok'],
  ['through symlink', 'link-a', [2], 'ok'],
  ['missing -> ENOENT (open)', 'nope', [1], 'ENOENT'],
  ['directory -> EISDIR (open)', 'full', [1], 'EISDIR'],
  ['big file', 'big.bin', [1024 * 1024 + 3], 'ok'],
], async (t, tw, label, rel, args, expect) => {
  await tw.same(t, label, (fsp, d) => fsp.truncate(`${d}/${rel}`, ...args), expect);
  await tw.same(t, `${label}: stat`, async (fsp, d) => {
    try { return statsView(await fsp.stat(`${d}/${rel}`)); } catch (e) { return e.code; }
  });
}));

t.test('truncate on a read-only file and ftruncate on a read-only handle', async (t) => {
  const tw = twins(t, layout());
  await tw.same(t, 'fh.truncate on a read-only handle -> EINVAL/EBADF', async (fsp, d) => {
    const fh = await fsp.open(`${d}/a.txt`, 'r');
    try { return await capture(() => fh.truncate(1)); } finally { await fh.close(); }
  }, (r) => !!r.value.error);
  tw.sameTree(t);
});

t.test('chmod, chown, utimes, access, realpath, readdir on paths', async (t) => {
  const tw = twins(t, layout());
  const cases = [
    ['chmod 0o600', (fsp, d) => fsp.chmod(`${d}/a.txt`, 0o600), 'ok'],
    ["chmod '755'", (fsp, d) => fsp.chmod(`${d}/b.txt`, '755'), 'ok'],
    ['chmod missing', (fsp, d) => fsp.chmod(`${d}/nope`, 0o600), 'ENOENT'],
    ['chmod bad mode', (fsp, d) => fsp.chmod(`${d}/a.txt`, 'abc'), 'ERR_INVALID_ARG_VALUE'],
    ['chown to self', (fsp, d) => fsp.chown(`${d}/a.txt`, process.getuid(), process.getgid()), 'ok'],
    ['chown -1 -1', (fsp, d) => fsp.chown(`${d}/a.txt`, -1, -1), 'ok'],
    ['chown missing', (fsp, d) => fsp.chown(`${d}/nope`, 0, 0), 'ENOENT'],
    ['chown bad uid', (fsp, d) => fsp.chown(`${d}/a.txt`, -2, 0), 'ERR_OUT_OF_RANGE'],
    ['lchown a symlink', (fsp, d) => fsp.lchown(`${d}/link-a`, process.getuid(), process.getgid()), 'ok'],
    ['utimes numbers', (fsp, d) => fsp.utimes(`${d}/a.txt`, 1000, 2000.5), 'ok'],
    ['utimes Dates', (fsp, d) => fsp.utimes(`${d}/b.txt`, new Date(1e12), new Date(1.2e12)), 'ok'],
    ['utimes numeric strings', (fsp, d) => fsp.utimes(`${d}/exec.sh`, '123', '456.5'), 'ok'],
    ['utimes invalid', (fsp, d) => fsp.utimes(`${d}/a.txt`, 'abc', 1), 'ERR_INVALID_ARG_TYPE'],
    ['utimes missing', (fsp, d) => fsp.utimes(`${d}/nope`, 1, 1), 'ENOENT'],
    ['lutimes a symlink', (fsp, d) => fsp.lutimes(`${d}/link-a`, 5, 6), 'ok'],
    ['access ok', (fsp, d) => fsp.access(`${d}/a.txt`), 'ok'],
    ['access X_OK on a non-executable file', (fsp, d) => fsp.access(`${d}/a.txt`, C.X_OK), 'EACCES'],
    ['access missing', (fsp, d) => fsp.access(`${d}/nope`), 'ENOENT'],
    ['access bad mode', (fsp, d) => fsp.access(`${d}/a.txt`, 'r'), undefined],
    ['realpath through links', (fsp, d) => fsp.realpath(`${d}/link-dir/sub/../x.txt`), 'ok'],
    ['realpath missing', (fsp, d) => fsp.realpath(`${d}/dangling`), 'ENOENT'],
    ['readdir', (fsp, d) => fsp.readdir(d).then((x) => x.sort()), 'ok'],
    ['readdir withFileTypes', (fsp, d) => fsp.readdir(`${d}/full`, { withFileTypes: true }).then((x) => x.sort((a, b) => (a.name < b.name ? -1 : 1))), 'ok'],
    ['readdir of a file', (fsp, d) => fsp.readdir(`${d}/a.txt`), 'ENOTDIR'],
  ];
  for (const [label, op, expect] of cases) {
    await tw.same(t, label, op, expect);
  }
  await tw.same(t, 'resulting times', async (fsp, d) => ({
    a: statsView(await fsp.stat(`${d}/a.txt`), { times: ['atime', 'mtime'] }),
    b: statsView(await fsp.stat(`${d}/b.txt`, { bigint: true }), { times: ['atime', 'mtime'] }),
    e: statsView(await fsp.stat(`${d}/exec.sh`), { times: ['atime', 'mtime'] }),
    l: statsView(await fsp.lstat(`${d}/link-a`), { times: ['atime', 'mtime'] }),
  }), 'ok');
  tw.sameTree(t);
});
