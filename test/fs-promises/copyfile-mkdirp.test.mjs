// copyFile and mkdir({ recursive: true }) on the ring, against node:fs/promises: results, the
// files and directories left behind (contents and modes), and every error field.
import t from 'tap';
import fs from 'node:fs';
import { twins, pattern, fdCount } from '../helpers/twin.mjs';
import { stats } from 'uring-shim';

const { COPYFILE_EXCL, COPYFILE_FICLONE } = fs.constants;

const modeOf = (p) => fs.statSync(p).mode;
// Where io_uring is refused (the fallback runs of this suite) Node serves everything: no ring counts.
const ringOn = stats().backend === 'io_uring';

t.test('copyFile', async (t) => {
  const tw = twins(t, (d) => {
    fs.writeFileSync(`${d}/small`, 'hello');
    fs.writeFileSync(`${d}/empty`, '');
    fs.writeFileSync(`${d}/big`, pattern(3 * 1024 * 1024 + 17, 9));
    fs.writeFileSync(`${d}/huge`, pattern(9 * 1024 * 1024, 3));  // past the ring's size limit
    fs.writeFileSync(`${d}/private`, 'secret', { mode: 0o600 });
    fs.chmodSync(`${d}/private`, 0o640);
    fs.writeFileSync(`${d}/exec`, '#!/bin/sh\n');
    fs.chmodSync(`${d}/exec`, 0o775);  // group-writable: the umask would drop it on create
    fs.writeFileSync(`${d}/existing`, 'a much longer previous content');
    fs.mkdirSync(`${d}/dir`);
    fs.symlinkSync(`${d}/small`, `${d}/link`);
  });
  const copy = (from, to, mode, label) => tw.same(t, label, async (fsp, d) => {
    const r = await fsp.copyFile(`${d}/${from}`, `${d}/${to}`, mode);
    let result;
    try {
      result = { r, bytes: fs.readFileSync(`${d}/${to}`).toString('base64').length, mode: modeOf(`${d}/${to}`) };
    } catch (e) {
      result = { r, destination: e.code };
    }
    return result;
  });
  await copy('small', 'c-small', undefined, 'small file');
  await copy('empty', 'c-empty', undefined, 'empty file');
  await copy('big', 'c-big', 0, 'file larger than one chunk');
  await copy('huge', 'c-huge', undefined, 'file larger than the ring copies');
  await copy('private', 'c-private', undefined, 'mode 0640 kept');
  await copy('exec', 'c-exec', undefined, 'mode 0775 kept exactly (fchmod after the umask)');
  await copy('small', 'existing', undefined, 'over a longer file: truncated');
  await copy('small', 'existing', COPYFILE_EXCL, 'COPYFILE_EXCL over an existing file');
  await copy('small', 'c-excl', COPYFILE_EXCL, 'COPYFILE_EXCL to a new file');
  await copy('small', 'c-ficlone', COPYFILE_FICLONE, 'COPYFILE_FICLONE');
  await copy('small', 'small', undefined, 'onto itself');
  await copy('small', 'link', undefined, 'onto a symlink to itself');
  await copy('link', 'c-link', undefined, 'from a symlink');
  await copy('missing', 'c-missing', undefined, 'missing source');
  await copy('small', 'nodir/c', undefined, 'destination directory missing');
  await copy('small', 'dir', undefined, 'onto a directory');
  await copy('dir', 'c-dir', undefined, 'from a directory');
  await copy('small/x', 'c-x', undefined, 'source under a file');
  await tw.same(t, 'mode out of range', (fsp, d) => fsp.copyFile(`${d}/small`, `${d}/c-r`, 8), 'ERR_OUT_OF_RANGE');
  await tw.same(t, 'mode of a wrong type', (fsp, d) => fsp.copyFile(`${d}/small`, `${d}/c-r`, 'x'), 'ERR_INVALID_ARG_TYPE');
  await tw.same(t, 'Buffer and URL paths', (fsp, d) => fsp.copyFile(Buffer.from(`${d}/small`), new URL(`file://${d}/c-url`)), 'ok');
  tw.sameTree(t);

  const before = stats().ring.copyFile ?? 0;
  const fds = fdCount();
  await Promise.all(Array.from({ length: 200 }, (_, i) => tw.impls.shim.copyFile(`${tw.dirs.shim}/small`, `${tw.dirs.shim}/many-${i}`)));
  t.equal(fdCount(), fds, 'no descriptor left open by 200 concurrent copies');
  if (ringOn) t.ok((stats().ring.copyFile ?? 0) - before >= 200, 'the ring carried them');
});

t.test('mkdir recursive', async (t) => {
  const tw = twins(t, (d) => {
    fs.mkdirSync(`${d}/exists/deeper`, { recursive: true });
    fs.writeFileSync(`${d}/file`, 'x');
    fs.mkdirSync(`${d}/locked`);
  });
  const mk = (rel, options, label) => tw.same(t, label, async (fsp, d) => {
    const r = await fsp.mkdir(typeof rel === 'function' ? rel(d) : `${d}/${rel}`, options);
    return { r, tree: fs.existsSync(`${d}/${typeof rel === 'string' ? rel : ''}`) };
  });
  await mk('a/b/c', { recursive: true }, 'three new levels: the first one is returned');
  await mk('a/b/c', { recursive: true }, 'all exist: undefined');
  await mk('exists/deeper/new', { recursive: true }, 'one new level under existing ones');
  await mk('exists', { recursive: true }, 'an existing directory');
  await mk('trailing/slash/', { recursive: true }, 'trailing slash');
  await mk('dots/./x/../y', { recursive: true }, 'dot segments');
  await mk('double//slash', { recursive: true }, 'double slash');
  await mk('file', { recursive: true }, 'a file where the directory would be');
  await mk('file/sub/deeper', { recursive: true }, 'a file in the middle');
  await mk('moded/x', { recursive: true, mode: 0o700 }, 'mode applied');
  await mk('moded2/x', { recursive: true, mode: '755' }, 'mode as an octal string');
  await mk('bad', { recursive: true, mode: -1 }, 'mode out of range');
  await mk('bad2', { recursive: 'yes' }, 'recursive of a wrong type');
  await mk(() => '/', { recursive: true }, 'the root');
  await mk((d) => new URL(`file://${d}/url/x`), { recursive: true }, 'a file: URL');
  await mk((d) => Buffer.from(`${d}/buf/x`), { recursive: true }, 'a Buffer path');
  tw.sameTree(t);

  // Root ignores directory permissions: EACCES on an intermediate directory needs another user.
  await t.test('EACCES on an intermediate directory', { skip: process.getuid?.() === 0 && 'root is never refused' }, async (t) => {
    tw.each((d) => fs.chmodSync(`${d}/locked`, 0o500));
    t.teardown(() => tw.each((d) => fs.chmodSync(`${d}/locked`, 0o700)));
    await mk('locked/x/y', { recursive: true }, 'the error names the step that failed');
  });

  const before = stats().ring.mkdir ?? 0;
  await tw.impls.shim.mkdir(`${tw.dirs.shim}/counted/a/b`, { recursive: true });
  if (ringOn) t.ok((stats().ring.mkdir ?? 0) > before, 'the ring carried recursive mkdir');
});
