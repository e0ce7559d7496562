// fs.read / fs.write / fs.readv / fs.writev (callback API) in all overloads, positional and
// sequential I/O, big transfers, bad descriptors and bad arguments. node:fs is the oracle.
import t from 'tap';
import fs from 'node:fs';
import { twins, pattern, digest } from '../helpers/twin.mjs';

const ALPHA = 'abcdefghijklmnopqrstuvwxyz';
const BIG = pattern(3 * 1024 * 1024 + 17, 7); // > 2 MiB (the whole arena) and not slot-aligned
const layout = { 'alpha.txt': ALPHA, dir: {} };

const small = (b) => (b.length <= 200 ? b.toString('latin1') : digest(b));

// Opens `rel` r+ (Node's sync API), moves the file position to 3, runs op(fd, cb'), and adds to
// the callback's arguments where the file position ended up and what the file holds.
function onFd(d, cb, op, { rel = 'alpha.txt', content = ALPHA } = {}) {
  fs.writeFileSync(`${d}/${rel}`, content);
  const fd = fs.openSync(`${d}/${rel}`, 'r+');
  fs.readSync(fd, Buffer.alloc(3), 0, 3, null);
  const after = (...args) => {
    const next = Buffer.alloc(1);
    const n = fs.readSync(fd, next, 0, 1, null);
    fs.closeSync(fd);
    cb(...args, { nextByte: n ? next.toString('latin1') : '<eof>', file: small(fs.readFileSync(`${d}/${rel}`)) });
  };
  try {
    op(fd, after);
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

t.test('read overloads', async (t) => {
  const tw = twins(t, layout, { callbacks: true });
  const cases = {
    '(fd, cb)': (fd, cb) => fs_.read(fd, cb),
    '(fd, buf, cb)': (fd, cb) => fs_.read(fd, Buffer.alloc(5), cb),
    '(fd, {}, cb)': (fd, cb) => fs_.read(fd, {}, cb),
    '(fd, null, cb)': (fd, cb) => fs_.read(fd, null, cb),
    '(fd, {buffer, offset, length, position}, cb)': (fd, cb) => fs_.read(fd, { buffer: Buffer.alloc(8, 0x2e), offset: 2, length: 4, position: 10 }, cb),
    '(fd, {position: 5}, cb)': (fd, cb) => fs_.read(fd, { position: 5 }, cb),
    '(fd, {length: null}, cb)': (fd, cb) => fs_.read(fd, { buffer: Buffer.alloc(4), length: null }, cb),
    '(fd, {offset: null}, cb)': (fd, cb) => fs_.read(fd, { buffer: Buffer.alloc(4), offset: null }, cb),
    '(fd, buf, options, cb)': (fd, cb) => fs_.read(fd, Buffer.alloc(6), { offset: 1, length: 3, position: 0 }, cb),
    '(fd, buf, null, cb)': (fd, cb) => fs_.read(fd, Buffer.alloc(6), null, cb),
    '(fd, buf, 0, 4, 0, cb)': (fd, cb) => fs_.read(fd, Buffer.alloc(4), 0, 4, 0, cb),
    '(fd, buf, 0, 4, null, cb) current position': (fd, cb) => fs_.read(fd, Buffer.alloc(4), 0, 4, null, cb),
    '(fd, buf, 0, 4, -1, cb) current position': (fd, cb) => fs_.read(fd, Buffer.alloc(4), 0, 4, -1, cb),
    '(fd, buf, null, 4, 20, cb)': (fd, cb) => fs_.read(fd, Buffer.alloc(4), null, 4, 20, cb),
    '(fd, buf, 0, 4, 24, cb) short read': (fd, cb) => fs_.read(fd, Buffer.alloc(4), 0, 4, 24, cb),
    '(fd, buf, 0, 4, 1000, cb) past EOF': (fd, cb) => fs_.read(fd, Buffer.alloc(4), 0, 4, 1000, cb),
    '(fd, buf, 0, 4, 5n, cb) bigint': (fd, cb) => fs_.read(fd, Buffer.alloc(4), 0, 4, 5n, cb),
    '(fd, Uint16Array, 0, 4, 0, cb)': (fd, cb) => fs_.read(fd, new Uint16Array(4), 0, 4, 0, cb),
    '(fd, DataView, 1, 2, 0, cb)': (fd, cb) => fs_.read(fd, new DataView(new ArrayBuffer(4)), 1, 2, 0, cb),
    'length 0: next tick, no read': (fd, cb) => fs_.read(fd, Buffer.alloc(4), 0, 0, 0, cb),
    'length 2.7 truncates': (fd, cb) => fs_.read(fd, Buffer.alloc(4), 0, 2.7, 0, cb),
    // Invalid calls: Node's own errors, thrown synchronously.
    'empty buffer': (fd, cb) => fs_.read(fd, Buffer.alloc(0), 0, 1, 0, cb),
    'offset out of range': (fd, cb) => fs_.read(fd, Buffer.alloc(4), 5, 1, 0, cb),
    'negative offset': (fd, cb) => fs_.read(fd, Buffer.alloc(4), -1, 1, 0, cb),
    'length too long': (fd, cb) => fs_.read(fd, Buffer.alloc(4), 1, 4, 0, cb),
    'negative length': (fd, cb) => fs_.read(fd, Buffer.alloc(4), 0, -1, 0, cb),
    'position -2': (fd, cb) => fs_.read(fd, Buffer.alloc(4), 0, 4, -2, cb),
    'position 1.5': (fd, cb) => fs_.read(fd, Buffer.alloc(4), 0, 4, 1.5, cb),
    'position "1"': (fd, cb) => fs_.read(fd, Buffer.alloc(4), 0, 4, '1', cb),
    'buffer a string': (fd, cb) => fs_.read(fd, 'abc', 0, 1, 0, cb),
    'options an array': (fd, cb) => fs_.read(fd, Buffer.alloc(4), [], cb),
    'no callback': (fd) => fs_.read(fd, Buffer.alloc(4), 0, 4, 0),
  };
  let fs_;
  for (const [name, op] of Object.entries(cases)) {
    await tw.same(t, `read ${name}`, (f, d, cb) => { fs_ = f; onFd(d, cb, op); });
  }
});

t.test('read errors from the kernel', async (t) => {
  const tw = twins(t, layout, { callbacks: true });
  await tw.same(t, 'read a closed fd: EBADF', (f, d, cb) => {
    const fd = fs.openSync(`${d}/alpha.txt`);
    fs.closeSync(fd);
    f.read(fd, Buffer.alloc(4), 0, 4, 0, cb);
  }, 'EBADF');
  await tw.same(t, 'read a directory: EISDIR', (f, d, cb) => {
    const fd = fs.openSync(`${d}/dir`);
    f.read(fd, Buffer.alloc(4), 0, 4, null, (...a) => { fs.closeSync(fd); cb(...a); });
  }, 'EISDIR');
  await tw.same(t, 'read a write-only fd: EBADF', (f, d, cb) => {
    const fd = fs.openSync(`${d}/alpha.txt`, 'a');
    f.read(fd, Buffer.alloc(4), 0, 4, 0, (...a) => { fs.closeSync(fd); cb(...a); });
  }, 'EBADF');
  for (const [name, fd] of Object.entries({ string: '3', negative: -1, float: 1.5 })) {
    await tw.same(t, `read(fd ${name})`, (f, d, cb) => f.read(fd, Buffer.alloc(4), 0, 4, 0, cb), 'ERR_INVALID_ARG_TYPE' === name ? undefined : (r) => r.outcome === 'throw');
  }
});

t.test('big reads and writes (> 16 KiB slot, > 2 MiB arena)', async (t) => {
  const tw = twins(t, { 'big.bin': BIG }, { callbacks: true });
  for (const size of [16 * 1024, 16 * 1024 + 1, 1 << 20, BIG.length]) {
    await tw.same(t, `read ${size} bytes`, (f, d, cb) => {
      const fd = fs.openSync(`${d}/big.bin`);
      f.read(fd, Buffer.alloc(size), 0, size, 0, (...a) => { fs.closeSync(fd); cb(...a); });
    }, 'ok');
    await tw.same(t, `write ${size} bytes then read back`, (f, d, cb) => {
      const fd = fs.openSync(`${d}/w-${size}.bin`, 'w+');
      const data = BIG.subarray(0, size);
      f.write(fd, data, 0, size, 0, (err, n, buf) => {
        fs.closeSync(fd);
        cb(err, n, buf === data, digest(fs.readFileSync(`${d}/w-${size}.bin`)));
      });
    }, 'ok');
  }
  tw.sameTree(t);
});

t.test('write overloads', async (t) => {
  const tw = twins(t, layout, { callbacks: true });
  let fs_;
  const cases = {
    '(fd, buf, cb)': (fd, cb) => fs_.write(fd, Buffer.from('XYZ'), cb),
    '(fd, buf, 1, cb)': (fd, cb) => fs_.write(fd, Buffer.from('XYZ'), 1, cb),
    '(fd, buf, 1, 1, cb)': (fd, cb) => fs_.write(fd, Buffer.from('XYZ'), 1, 1, cb),
    '(fd, buf, 0, 3, 10, cb)': (fd, cb) => fs_.write(fd, Buffer.from('XYZ'), 0, 3, 10, cb),
    '(fd, buf, 0, 3, null, cb)': (fd, cb) => fs_.write(fd, Buffer.from('XYZ'), 0, 3, null, cb),
    '(fd, buf, 0, 3, -5, cb)': (fd, cb) => fs_.write(fd, Buffer.from('XYZ'), 0, 3, -5, cb),
    '(fd, buf, 0, 3, 40, cb) past EOF': (fd, cb) => fs_.write(fd, Buffer.from('XYZ'), 0, 3, 40, cb),
    '(fd, buf, {offset, length, position}, cb)': (fd, cb) => fs_.write(fd, Buffer.from('XYZ'), { offset: 1, length: 2, position: 0 }, cb),
    '(fd, buf, {}, cb)': (fd, cb) => fs_.write(fd, Buffer.from('XYZ'), {}, cb),
    '(fd, buf, null, cb)': (fd, cb) => fs_.write(fd, Buffer.from('XYZ'), null, cb),
    '(fd, Uint32Array, cb)': (fd, cb) => fs_.write(fd, new Uint32Array([0x41424344]), cb),
    '(fd, empty buf, cb)': (fd, cb) => fs_.write(fd, Buffer.alloc(0), cb),
    '(fd, str, cb)': (fd, cb) => fs_.write(fd, 'héllo', cb),
    '(fd, str, 2, cb)': (fd, cb) => fs_.write(fd, 'héllo', 2, cb),
    '(fd, str, null, cb)': (fd, cb) => fs_.write(fd, 'héllo', null, cb),
    '(fd, str, 2, "latin1", cb)': (fd, cb) => fs_.write(fd, 'héllo', 2, 'latin1', cb),
    '(fd, str, 2, "base64", cb)': (fd, cb) => fs_.write(fd, 'aGVsbG8=', 2, 'base64', cb),
    '(fd, str, 2, "hex", cb)': (fd, cb) => fs_.write(fd, '414243', 2, 'hex', cb),
    '(fd, str, 2, undefined, cb)': (fd, cb) => fs_.write(fd, 'abc', 2, undefined, cb),
    '(fd, str, 2, "bogus", cb)': (fd, cb) => fs_.write(fd, 'abc', 2, 'bogus', cb),
    '(fd, "", cb)': (fd, cb) => fs_.write(fd, '', cb),
    'odd hex': (fd, cb) => fs_.write(fd, '414', 0, 'hex', cb),
    'offset > length': (fd, cb) => fs_.write(fd, Buffer.from('XYZ'), 4, 1, 0, cb),
    'length too long': (fd, cb) => fs_.write(fd, Buffer.from('XYZ'), 1, 3, 0, cb),
    'negative length': (fd, cb) => fs_.write(fd, Buffer.from('XYZ'), 0, -1, 0, cb),
    'length 1.5': (fd, cb) => fs_.write(fd, Buffer.from('XYZ'), 0, 1.5, 0, cb),
    'offset "1"': (fd, cb) => fs_.write(fd, Buffer.from('XYZ'), '1', 1, 0, cb),
    'data a number': (fd, cb) => fs_.write(fd, 42, cb),
    'data an object': (fd, cb) => fs_.write(fd, { toString: () => 'x' }, cb),
    'no callback (buffer)': (fd) => fs_.write(fd, Buffer.from('XYZ'), 0, 3, 0),
    'no callback (string)': (fd) => fs_.write(fd, 'abc'),
  };
  for (const [name, op] of Object.entries(cases)) {
    await tw.same(t, `write ${name}`, (f, d, cb) => { fs_ = f; onFd(d, cb, op); });
  }
  await tw.same(t, 'write to a read-only fd: EBADF', (f, d, cb) => {
    const fd = fs.openSync(`${d}/alpha.txt`, 'r');
    f.write(fd, 'abc', (...a) => { fs.closeSync(fd); cb(...a); });
  }, 'EBADF');
  await tw.same(t, 'write to a closed fd: EBADF', (f, d, cb) => {
    const fd = fs.openSync(`${d}/alpha.txt`, 'r+');
    fs.closeSync(fd);
    f.write(fd, Buffer.from('abc'), 0, 3, 0, cb);
  }, 'EBADF');
});

t.test('readv / writev', async (t) => {
  const tw = twins(t, layout, { callbacks: true });
  let fs_;
  const cases = {
    'readv(fd, bufs, cb)': (fd, cb) => fs_.readv(fd, [Buffer.alloc(2), Buffer.alloc(3)], cb),
    'readv(fd, bufs, 4, cb)': (fd, cb) => fs_.readv(fd, [Buffer.alloc(2), new Uint8Array(3)], 4, cb),
    'readv(fd, bufs, null, cb)': (fd, cb) => fs_.readv(fd, [Buffer.alloc(2)], null, cb),
    'readv(fd, bufs, 100, cb) past EOF': (fd, cb) => fs_.readv(fd, [Buffer.alloc(2)], 100, cb),
    'readv(fd, [], cb)': (fd, cb) => fs_.readv(fd, [], cb),
    'readv(fd, not views, cb)': (fd, cb) => fs_.readv(fd, ['ab'], cb),
    'readv(fd, bufs) no callback': (fd) => fs_.readv(fd, [Buffer.alloc(2)]),
    'writev(fd, bufs, cb)': (fd, cb) => fs_.writev(fd, [Buffer.from('AB'), Buffer.from('CDE')], cb),
    'writev(fd, bufs, 1, cb)': (fd, cb) => fs_.writev(fd, [Buffer.from('AB'), Buffer.from('CDE')], 1, cb),
    'writev(fd, bufs, null, cb)': (fd, cb) => fs_.writev(fd, [Buffer.from('AB')], null, cb),
    'writev(fd, [], cb)': (fd, cb) => fs_.writev(fd, [], cb),
    'writev(fd, "x", cb)': (fd, cb) => fs_.writev(fd, 'x', cb),
    'writev(fd, bufs, 1) no callback': (fd) => fs_.writev(fd, [Buffer.from('AB')], 1),
  };
  for (const [name, op] of Object.entries(cases)) {
    await tw.same(t, name, (f, d, cb) => { fs_ = f; onFd(d, cb, op); });
  }
  await tw.same(t, 'readv closed fd: EBADF', (f, d, cb) => {
    const fd = fs.openSync(`${d}/alpha.txt`);
    fs.closeSync(fd);
    f.readv(fd, [Buffer.alloc(2)], 0, cb);
  }, 'EBADF');
  await tw.same(t, 'writev closed fd: EBADF', (f, d, cb) => {
    const fd = fs.openSync(`${d}/alpha.txt`);
    fs.closeSync(fd);
    f.writev(fd, [Buffer.alloc(2)], 0, cb);
  }, 'EBADF');
});

t.test('the callback gets the very buffer (or string, or array) it was given', async (t) => {
  const tw = twins(t, layout, { callbacks: true });
  await tw.same(t, 'identity', (f, d, cb) => {
    const fd = fs.openSync(`${d}/alpha.txt`, 'r+');
    const buf = Buffer.alloc(4);
    const str = 'abc';
    const bufs = [Buffer.alloc(2)];
    f.read(fd, buf, 0, 4, 0, (e1, n1, b1) => f.write(fd, str, 0, (e2, n2, s2) => f.readv(fd, bufs, 0, (e3, n3, b3) => f.writev(fd, bufs, 0, (e4, n4, b4) => {
      fs.closeSync(fd);
      cb(null, b1 === buf, s2 === str, b3 === bufs, b4 === bufs);
    }))));
  }, 'ok');
});
