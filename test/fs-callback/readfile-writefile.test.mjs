// fs.readFile / fs.writeFile / fs.appendFile (callback API) on paths and descriptors, with
// encodings, flags, flush and signals. node:fs is the oracle.
import t from 'tap';
import fs from 'node:fs';
import { twins, pattern } from '../helpers/twin.mjs';

const BIG = pattern(2 * 1024 * 1024 + 600 * 1024 + 3, 11); // several 512 KiB reads, > 2 MiB
const layout = { 'f.txt': 'héllo world', 'empty.txt': '', 'big.bin': BIG, dir: { 'x.txt': 'x' } };

// An fd positioned at byte 3 of `rel`; the callback also learns whether the fd is still open
// and where its position ended up.
const onFd = (rel, flags, run) => (f, d, cb) => {
  const fd = fs.openSync(`${d}/${rel}`, flags);
  if (rel !== 'dir') fs.readSync(fd, Buffer.alloc(3), 0, 3, null);
  run(f, fd, (...a) => {
    let state;
    try {
      state = { open: true, position: rel === 'dir' ? fs.fstatSync(fd).isDirectory() : fs.readSync(fd, Buffer.alloc(1), 0, 1, null) };
      fs.closeSync(fd);
    } catch (e) {
      state = { open: false, code: e.code };
    }
    cb(...a, state, rel === 'dir' ? '<dir>' : fs.readFileSync(`${d}/${rel}`, 'latin1').slice(0, 64));
  });
};

t.test('readFile', async (t) => {
  const tw = twins(t, layout, { callbacks: true });
  const closedFd = (d) => { const fd = fs.openSync(`${d}/f.txt`); fs.closeSync(fd); return fd; };
  const cases = [
    ['(path, cb)', (f, d, cb) => f.readFile(`${d}/f.txt`, cb), 'ok'],
    ['(path, "utf8", cb)', (f, d, cb) => f.readFile(`${d}/f.txt`, 'utf8', cb), 'ok'],
    ['(path, {encoding: "latin1"}, cb)', (f, d, cb) => f.readFile(`${d}/f.txt`, { encoding: 'latin1' }, cb), 'ok'],
    ['(path, {encoding: "base64", flag: "r+"}, cb)', (f, d, cb) => f.readFile(`${d}/f.txt`, { encoding: 'base64', flag: 'r+' }, cb), 'ok'],
    ['(path, null, cb)', (f, d, cb) => f.readFile(`${d}/f.txt`, null, cb), 'ok'],
    ['(path, undefined, cb)', (f, d, cb) => f.readFile(`${d}/f.txt`, undefined, cb), 'ok'],
    ['(Buffer path, cb)', (f, d, cb) => f.readFile(Buffer.from(`${d}/f.txt`), cb), 'ok'],
    ['(URL, cb)', (f, d, cb) => f.readFile(new URL(`file://${d}/f.txt`), cb), 'ok'],
    ['empty file', (f, d, cb) => f.readFile(`${d}/empty.txt`, cb), 'ok'],
    ['empty file utf8', (f, d, cb) => f.readFile(`${d}/empty.txt`, 'utf8', cb), 'ok'],
    ['big file (> 2 MiB, several reads)', (f, d, cb) => f.readFile(`${d}/big.bin`, cb), 'ok'],
    ['unknown size (/proc)', (f, d, cb) => f.readFile('/proc/version', 'utf8', cb), 'ok'],
    ['ENOENT', (f, d, cb) => f.readFile(`${d}/missing`, cb), 'ENOENT'],
    ['ENOTDIR', (f, d, cb) => f.readFile(`${d}/f.txt/x`, cb), 'ENOTDIR'],
    ['EISDIR', (f, d, cb) => f.readFile(`${d}/dir`, cb), 'EISDIR'],
    ['flag wx on an existing file: EEXIST', (f, d, cb) => f.readFile(`${d}/f.txt`, { flag: 'wx' }, cb), 'EEXIST'],
    ['fd: from the current position, left open', onFd('f.txt', 'r', (f, fd, cb) => f.readFile(fd, cb)), 'ok'],
    ['fd utf8', onFd('f.txt', 'r', (f, fd, cb) => f.readFile(fd, 'utf8', cb)), 'ok'],
    ['fd big', onFd('big.bin', 'r', (f, fd, cb) => f.readFile(fd, cb)), 'ok'],
    ['fd of a directory (Node reports no error)', onFd('dir', 'r', (f, fd, cb) => f.readFile(fd, cb)), 'ok'],
    ['fd closed (Node: TypeError from its close step)', (f, d, cb) => f.readFile(closedFd(d), cb), (r) => r.outcome === 'callback'],
    ['fd closed, utf8', (f, d, cb) => f.readFile(closedFd(d), 'utf8', cb), (r) => r.outcome === 'callback'],
    ['bad encoding', (f, d, cb) => f.readFile(`${d}/f.txt`, 'bogus', cb), 'ERR_INVALID_ARG_VALUE'],
    ['bad flag', (f, d, cb) => f.readFile(`${d}/f.txt`, { flag: 'bogus' }, cb), 'ERR_INVALID_ARG_VALUE'],
    ['options a number', (f, d, cb) => f.readFile(`${d}/f.txt`, 5, cb), 'ERR_INVALID_ARG_TYPE'],
    ['no callback', (f, d) => f.readFile(`${d}/f.txt`), 'ERR_INVALID_ARG_TYPE'],
    ['no callback, options', (f, d) => f.readFile(`${d}/f.txt`, 'utf8'), 'ERR_INVALID_ARG_TYPE'],
    ['path an object', (f, d, cb) => f.readFile({}, cb), 'ERR_INVALID_ARG_TYPE'],
    ['signal already aborted: synchronous AbortError', (f, d, cb) => f.readFile(`${d}/f.txt`, { signal: AbortSignal.abort('why') }, cb), 'ABORT_ERR'],
    ['signal aborted while opening', (f, d, cb) => {
      const ac = new AbortController();
      f.readFile(`${d}/big.bin`, { signal: ac.signal }, cb);
      process.nextTick(() => ac.abort());
    }, 'ABORT_ERR'],
    // Node's close step for a caller's fd drops the error: an empty result, no AbortError.
    ['signal aborted, fd form', onFd('f.txt', 'r', (f, fd, cb) => f.readFile(fd, { signal: AbortSignal.abort() }, cb)), 'ok'],
    ['signal not aborted', (f, d, cb) => f.readFile(`${d}/f.txt`, { signal: new AbortController().signal }, cb), 'ok'],
    ['signal not a signal', (f, d, cb) => f.readFile(`${d}/f.txt`, { signal: {} }, cb), (r) => r.outcome === 'throw'],
  ];
  for (const [name, op, expect] of cases) await tw.same(t, `readFile ${name}`, op, expect);
});

t.test('writeFile and appendFile', async (t) => {
  const tw = twins(t, layout, { callbacks: true });
  const after = (d, rel, cb) => (...a) => {
    let content;
    try { content = fs.readFileSync(`${d}/${rel}`, 'latin1').slice(0, 64); } catch (e) { content = e.code; }
    cb(...a, content);
  };
  const cases = [
    ['(path, string, cb)', (f, d, cb) => f.writeFile(`${d}/w1`, 'héllo', after(d, 'w1', cb)), 'ok'],
    ['(path, Buffer, cb)', (f, d, cb) => f.writeFile(`${d}/w2`, Buffer.from('abc'), after(d, 'w2', cb)), 'ok'],
    ['(path, Uint16Array, cb)', (f, d, cb) => f.writeFile(`${d}/w3`, new Uint16Array([0x4142, 0x4344]), after(d, 'w3', cb)), 'ok'],
    ['(path, DataView, cb)', (f, d, cb) => f.writeFile(`${d}/w3b`, new DataView(Buffer.from('dv').buffer, 0, 2), after(d, 'w3b', cb)), 'ok'],
    ['(path, string, "latin1", cb)', (f, d, cb) => f.writeFile(`${d}/w4`, 'héllo', 'latin1', after(d, 'w4', cb)), 'ok'],
    ['(path, string, {encoding: "hex"}, cb)', (f, d, cb) => f.writeFile(`${d}/w5`, '414243', { encoding: 'hex' }, after(d, 'w5', cb)), 'ok'],
    ['(path, string, {mode: 0o600}, cb)', (f, d, cb) => f.writeFile(`${d}/w6`, 'm', { mode: 0o600 }, after(d, 'w6', cb)), 'ok'],
    ['(path, string, {flag: "a"}, cb)', (f, d, cb) => f.writeFile(`${d}/f.txt`, '!', { flag: 'a' }, after(d, 'f.txt', cb)), 'ok'],
    ['(path, string, {flag: "wx"}, cb): EEXIST', (f, d, cb) => f.writeFile(`${d}/f.txt`, '!', { flag: 'wx' }, after(d, 'f.txt', cb)), 'EEXIST'],
    ['(path, string, {flush: true}, cb)', (f, d, cb) => f.writeFile(`${d}/w7`, 'flushed', { flush: true }, after(d, 'w7', cb)), 'ok'],
    ['(path, "", cb)', (f, d, cb) => f.writeFile(`${d}/w8`, '', after(d, 'w8', cb)), 'ok'],
    ['big data (> 2 MiB)', (f, d, cb) => f.writeFile(`${d}/w9`, BIG, (e) => cb(e, fs.readFileSync(`${d}/w9`).equals(BIG))), 'ok'],
    ['to a directory: EISDIR', (f, d, cb) => f.writeFile(`${d}/dir`, 'x', cb), 'EISDIR'],
    ['into a missing directory: ENOENT', (f, d, cb) => f.writeFile(`${d}/missing/x`, 'x', cb), 'ENOENT'],
    ['fd: at the current position, left open', onFd('f.txt', 'r+', (f, fd, cb) => f.writeFile(fd, 'XY', cb)), 'ok'],
    ['fd read-only: EBADF', onFd('f.txt', 'r', (f, fd, cb) => f.writeFile(fd, 'XY', cb)), 'EBADF'],
    ['data a number', (f, d, cb) => f.writeFile(`${d}/w10`, 42, cb), 'ERR_INVALID_ARG_TYPE'],
    ['data an object', (f, d, cb) => f.writeFile(`${d}/w10`, { toString: () => 'x' }, cb), 'ERR_INVALID_ARG_TYPE'],
    ['flush "yes"', (f, d, cb) => f.writeFile(`${d}/w11`, 'x', { flush: 'yes' }, cb), 'ERR_INVALID_ARG_TYPE'],
    ['no callback', (f, d) => f.writeFile(`${d}/w12`, 'x'), 'ERR_INVALID_ARG_TYPE'],
    ['signal already aborted', (f, d, cb) => f.writeFile(`${d}/w13`, 'x', { signal: AbortSignal.abort() }, after(d, 'w13', cb)), 'ABORT_ERR'],
    ['signal aborted while opening (file created, then closed)', (f, d, cb) => {
      const ac = new AbortController();
      f.writeFile(`${d}/w14`, 'x', { signal: ac.signal }, after(d, 'w14', cb));
      process.nextTick(() => ac.abort());
    }, 'ABORT_ERR'],
    ['signal aborted, fd form', onFd('f.txt', 'r+', (f, fd, cb) => f.writeFile(fd, 'XY', { signal: AbortSignal.abort() }, cb)), 'ABORT_ERR'],
    ['appendFile(path, string, cb)', (f, d, cb) => f.appendFile(`${d}/f.txt`, '+1', after(d, 'f.txt', cb)), 'ok'],
    ['appendFile creates', (f, d, cb) => f.appendFile(`${d}/a1`, 'new', after(d, 'a1', cb)), 'ok'],
    ['appendFile(path, Buffer, "utf8", cb)', (f, d, cb) => f.appendFile(`${d}/f.txt`, Buffer.from('+2'), 'utf8', after(d, 'f.txt', cb)), 'ok'],
    ['appendFile {flag: "w"}', (f, d, cb) => f.appendFile(`${d}/f.txt`, 'over', { flag: 'w' }, after(d, 'f.txt', cb)), 'ok'],
    ['appendFile fd', onFd('f.txt', 'r+', (f, fd, cb) => f.appendFile(fd, 'ZZ', cb)), 'ok'],
    ['appendFile EISDIR', (f, d, cb) => f.appendFile(`${d}/dir`, 'x', cb), 'EISDIR'],
    ['appendFile no callback', (f, d) => f.appendFile(`${d}/a2`, 'x'), 'ERR_INVALID_ARG_TYPE'],
  ];
  for (const [name, op, expect] of cases) await tw.same(t, `writeFile ${name}`, op, expect);
  tw.sameTree(t);
});
