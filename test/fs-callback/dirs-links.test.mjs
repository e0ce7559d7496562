// fs.rename / unlink / rmdir / mkdir / link / symlink / fsync / fdatasync / ftruncate /
// truncate (callback API): node:fs is the oracle, the resulting trees are compared too.
import t from 'tap';
import fs from 'node:fs';
import { nodeMajor, twins } from '../helpers/twin.mjs';

const layout = () => ({ 'f.txt': 'hello world', 'g.txt': 'g', dir: { 'x.txt': 'x' }, empty: {}, link: { $symlink: 'f.txt' } });

t.test('rename, unlink, rmdir, mkdir, link, symlink', async (t) => {
  const tw = twins(t, layout(), { callbacks: true });
  const cases = [
    ['rename file', (f, d, cb) => f.rename(`${d}/g.txt`, `${d}/g2.txt`, cb), 'ok'],
    ['rename ENOENT (path and dest)', (f, d, cb) => f.rename(`${d}/missing`, `${d}/x`, cb), 'ENOENT'],
    ['rename dir over file: ENOTDIR', (f, d, cb) => f.rename(`${d}/empty`, `${d}/f.txt`, cb), 'ENOTDIR'],
    ['rename file over non-empty dir: EISDIR', (f, d, cb) => f.rename(`${d}/f.txt`, `${d}/dir`, cb), 'EISDIR'],
    ['rename Buffer paths', (f, d, cb) => f.rename(Buffer.from(`${d}/g2.txt`), Buffer.from(`${d}/g3.txt`), cb), 'ok'],
    ['rename bad path type', (f, d, cb) => f.rename(1, `${d}/x`, cb), 'ERR_INVALID_ARG_TYPE'],
    ['rename no callback', (f, d) => f.rename(`${d}/g3.txt`, `${d}/g4.txt`), 'ERR_INVALID_ARG_TYPE'],
    ['unlink', (f, d, cb) => f.unlink(`${d}/g3.txt`, cb), 'ok'],
    ['unlink ENOENT', (f, d, cb) => f.unlink(`${d}/missing`, cb), 'ENOENT'],
    ['unlink a directory', (f, d, cb) => f.unlink(`${d}/empty`, cb), (r) => r.error?.code === 'EISDIR' || r.error?.code === 'EPERM'],
    ['unlink no callback', (f, d) => f.unlink(`${d}/f.txt`), 'ERR_INVALID_ARG_TYPE'],
    ['mkdir', (f, d, cb) => f.mkdir(`${d}/new`, cb), 'ok'],
    ['mkdir mode', (f, d, cb) => f.mkdir(`${d}/new2`, 0o700, cb), 'ok'],
    ['mkdir {mode}', (f, d, cb) => f.mkdir(`${d}/new3`, { mode: 0o750 }, cb), 'ok'],
    ['mkdir {recursive: false}', (f, d, cb) => f.mkdir(`${d}/new4`, { recursive: false }, cb), 'ok'],
    ['mkdir null', (f, d, cb) => f.mkdir(`${d}/new5`, null, cb), 'ok'],
    ['mkdir string mode', (f, d, cb) => f.mkdir(`${d}/new6`, '755', cb), 'ok'],
    ['mkdir {mode: null}', (f, d, cb) => f.mkdir(`${d}/new7`, { mode: null }, cb), (r) => r.outcome === 'throw'],
    ['mkdir recursive', (f, d, cb) => f.mkdir(`${d}/a/b/c`, { recursive: true }, cb), 'ok'],
    ['mkdir recursive existing', (f, d, cb) => f.mkdir(`${d}/a/b`, { recursive: true }, cb), 'ok'],
    ['mkdir recursive over a file', (f, d, cb) => f.mkdir(`${d}/f.txt`, { recursive: true }, cb), 'EEXIST'],
    ['mkdir recursive through a file', (f, d, cb) => f.mkdir(`${d}/f.txt/a/b`, { recursive: true }, cb), 'ENOTDIR'],
    ['mkdir recursive with mode', (f, d, cb) => f.mkdir(`${d}/m/n`, { recursive: true, mode: 0o700 }, cb), 'ok'],
    ['copyFile', (f, d, cb) => f.copyFile(`${d}/f.txt`, `${d}/copy.txt`, cb), 'ok'],
    ['copyFile COPYFILE_EXCL onto an existing file', (f, d, cb) => f.copyFile(`${d}/f.txt`, `${d}/copy.txt`, fs.constants.COPYFILE_EXCL, cb), 'EEXIST'],
    ['copyFile over a longer existing file', (f, d, cb) => f.copyFile(`${d}/dir/x.txt`, `${d}/copy.txt`, 0, cb), 'ok'],
    ['copyFile missing source', (f, d, cb) => f.copyFile(`${d}/missing`, `${d}/copy2.txt`, cb), 'ENOENT'],
    ['copyFile onto a directory', (f, d, cb) => f.copyFile(`${d}/f.txt`, `${d}/dir`, cb), 'EISDIR'],
    ['copyFile bad mode', (f, d, cb) => f.copyFile(`${d}/f.txt`, `${d}/copy3.txt`, 9, cb), 'ERR_OUT_OF_RANGE'],
    ['copyFile no callback', (f, d) => f.copyFile(`${d}/f.txt`, `${d}/copy4.txt`), 'ERR_INVALID_ARG_TYPE'],
    ['mkdir EEXIST', (f, d, cb) => f.mkdir(`${d}/dir`, cb), 'EEXIST'],
    ['mkdir ENOENT', (f, d, cb) => f.mkdir(`${d}/missing/x`, cb), 'ENOENT'],
    ['mkdir ENOTDIR', (f, d, cb) => f.mkdir(`${d}/f.txt/x`, cb), 'ENOTDIR'],
    ['mkdir {recursive: "yes"}', (f, d, cb) => f.mkdir(`${d}/r`, { recursive: 'yes' }, cb), 'ERR_INVALID_ARG_TYPE'],
    ['rmdir', (f, d, cb) => f.rmdir(`${d}/new`, cb), 'ok'],
    ['rmdir ENOTEMPTY', (f, d, cb) => f.rmdir(`${d}/dir`, cb), 'ENOTEMPTY'],
    ['rmdir ENOTDIR', (f, d, cb) => f.rmdir(`${d}/f.txt`, cb), 'ENOTDIR'],
    ['rmdir ENOENT', (f, d, cb) => f.rmdir(`${d}/missing`, cb), 'ENOENT'],
    ['rmdir with options {}', (f, d, cb) => f.rmdir(`${d}/new2`, {}, cb), 'ok'],
    ['link', (f, d, cb) => f.link(`${d}/f.txt`, `${d}/hard`, cb), 'ok'],
    ['link EEXIST (path and dest)', (f, d, cb) => f.link(`${d}/f.txt`, `${d}/hard`, cb), 'EEXIST'],
    ['link ENOENT', (f, d, cb) => f.link(`${d}/missing`, `${d}/hard2`, cb), 'ENOENT'],
    ['symlink', (f, d, cb) => f.symlink('f.txt', `${d}/sym`, cb), 'ok'],
    ['symlink type dir', (f, d, cb) => f.symlink('dir', `${d}/sym2`, 'dir', cb), 'ok'],
    ['symlink type undefined', (f, d, cb) => f.symlink('dir', `${d}/sym3`, undefined, cb), 'ok'],
    // Node 24 validates the type before anything else (Node 20 and 22: an error of its own).
    ['symlink bad type', (f, d, cb) => f.symlink('dir', `${d}/sym4`, 'bogus', cb), nodeMajor >= 24 ? 'ERR_INVALID_ARG_VALUE' : 'ERR_FS_INVALID_SYMLINK_TYPE'],
    ['symlink EEXIST', (f, d, cb) => f.symlink('f.txt', `${d}/sym`, cb), 'EEXIST'],
    ['symlink no callback', (f) => f.symlink('f.txt', '/nonexistent/sym5'), 'ERR_INVALID_ARG_TYPE'],
  ];
  for (const [name, op, expect] of cases) await tw.same(t, name, op, expect);
  tw.sameTree(t);
});

t.test('fsync, fdatasync, ftruncate, truncate', async (t) => {
  const tw = twins(t, layout(), { callbacks: true });
  const onFd = (flags, run) => (f, d, cb) => {
    const fd = fs.openSync(`${d}/f.txt`, flags);
    run(f, fd, (...a) => { fs.closeSync(fd); cb(...a, fs.readFileSync(`${d}/f.txt`, 'latin1')); });
  };
  const closedFd = (d) => { const fd = fs.openSync(`${d}/f.txt`); fs.closeSync(fd); return fd; };
  const cases = [
    ['fsync', onFd('r+', (f, fd, cb) => f.fsync(fd, cb)), 'ok'],
    ['fdatasync', onFd('r+', (f, fd, cb) => f.fdatasync(fd, cb)), 'ok'],
    ['fsync EBADF', (f, d, cb) => f.fsync(closedFd(d), cb), 'EBADF'],
    ['fdatasync EBADF', (f, d, cb) => f.fdatasync(closedFd(d), cb), 'EBADF'],
    ['fsync no callback', (f) => f.fsync(0), 'ERR_INVALID_ARG_TYPE'],
    ['fsync bad fd', (f, d, cb) => f.fsync('1', cb), (r) => r.outcome === 'throw'],
    ['ftruncate(fd, 5, cb)', onFd('r+', (f, fd, cb) => f.ftruncate(fd, 5, cb)), 'ok'],
    ['ftruncate(fd, cb)', onFd('r+', (f, fd, cb) => f.ftruncate(fd, cb)), 'ok'],
    ['ftruncate(fd, -3, cb)', onFd('r+', (f, fd, cb) => f.ftruncate(fd, -3, cb)), 'ok'],
    ['ftruncate grows', onFd('r+', (f, fd, cb) => f.ftruncate(fd, 20, cb)), 'ok'],
    ['ftruncate read-only fd: EINVAL', onFd('r', (f, fd, cb) => f.ftruncate(fd, 2, cb)), 'EINVAL'],
    ['ftruncate EBADF', (f, d, cb) => f.ftruncate(closedFd(d), 2, cb), 'EBADF'],
    ['ftruncate(fd, 1.5, cb)', (f, d, cb) => f.ftruncate(0, 1.5, cb), 'ERR_OUT_OF_RANGE'],
    ['truncate(path, 4, cb)', (f, d, cb) => f.truncate(`${d}/f.txt`, 4, cb), 'ok'],
    ['truncate(path, cb)', (f, d, cb) => f.truncate(`${d}/g.txt`, cb), 'ok'],
    ['truncate ENOENT', (f, d, cb) => f.truncate(`${d}/missing`, 1, cb), 'ENOENT'],
    ['truncate a directory: EISDIR', (f, d, cb) => f.truncate(`${d}/dir`, 1, cb), 'EISDIR'],
    ['truncate("x", "1")', (f, d, cb) => f.truncate(`${d}/f.txt`, '1', cb), 'ERR_INVALID_ARG_TYPE'],
    ['truncate no callback', (f, d) => f.truncate(`${d}/f.txt`, 1), 'ERR_INVALID_ARG_TYPE'],
  ];
  for (const [name, op, expect] of cases) await tw.same(t, name, op, expect);
  tw.sameTree(t);
});
