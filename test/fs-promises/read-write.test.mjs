// FileHandle.read / write / readv / writev in all overloads; positional vs sequential I/O.
import t from 'tap';
import fs from 'node:fs';
import { nodeMajor, twins, capture, pattern, digest } from '../helpers/twin.mjs';

const ALPHA = 'abcdefghijklmnopqrstuvwxyz';
const layout = { 'alpha.txt': ALPHA, 'empty': '' };

const small = (b) => (b.length <= 200 ? b.toString('latin1') : digest(b));

// Open alpha.txt r+, move the file position to 3 with a sequential read, run `op`, then
// reveal where the file position ended up by reading one more byte sequentially.
async function onHandle(fsp, d, op, rel = 'alpha.txt') {
  fs.writeFileSync(`${d}/${rel}`, rel === 'alpha.txt' ? ALPHA : '');
  const fh = await fsp.open(`${d}/${rel}`, 'r+');
  try {
    await fh.read(Buffer.alloc(3), 0, 3, null);
    const args = {};
    const r = await capture(() => op(fh, args));
    const identity = r.value && args.buf !== undefined
      ? { sameBuffer: r.value.buffer === args.buf, sameBuffers: r.value.buffers === args.buf } : null;
    const negZero = r.value && (Object.is(r.value.bytesRead, -0) || Object.is(r.value.bytesWritten, -0));
    const next = await fh.read(Buffer.alloc(1), 0, 1, null);
    return {
      r, identity, negZero,
      nextByte: next.bytesRead ? next.buffer.toString('latin1') : '<eof>',
      file: small(fs.readFileSync(`${d}/${rel}`)),
    };
  } finally {
    await fh.close();
  }
}

const readCases = {
  'read()': (fh) => fh.read(),
  'read(undefined)': (fh) => fh.read(undefined),
  'read(null)': (fh) => fh.read(null),
  'read({})': (fh) => fh.read({}),
  'read({position: 5})': (fh) => fh.read({ position: 5 }),
  'read({length: 4})': (fh) => fh.read({ length: 4 }),
  'read({offset: 2})': (fh) => fh.read({ offset: 2 }),
  'read({buffer})': (fh, a) => fh.read({ buffer: (a.buf = Buffer.alloc(6)) }),
  'read({buffer, offset, length, position})': (fh, a) => fh.read({ buffer: (a.buf = Buffer.alloc(8, 0x2e)), offset: 2, length: 4, position: 10 }),
  'read({buffer, position: null})': (fh, a) => fh.read({ buffer: (a.buf = Buffer.alloc(4)), position: null }),
  'read({buffer, position: 5n}) (bigint: current position on Node 20, offset on 21+)': (fh, a) => fh.read({ buffer: (a.buf = Buffer.alloc(4)), position: 5n }),
  'read({buffer: empty})': (fh) => fh.read({ buffer: Buffer.alloc(0) }),
  'read({buffer: empty, length: 1})': (fh) => fh.read({ buffer: Buffer.alloc(0), length: 1 }),
  'read({buffer: "str"})': (fh) => fh.read({ buffer: 'str' }),
  'read({buffer: Uint16Array})': (fh, a) => fh.read({ buffer: (a.buf = new Uint16Array(3)) }),
  'read(ArrayBuffer) (treated as options)': (fh) => fh.read(new ArrayBuffer(4)),
  'read(buf)': (fh, a) => fh.read((a.buf = Buffer.alloc(5))),
  'read(buf, 2)': (fh, a) => fh.read((a.buf = Buffer.alloc(5, 0x2e)), 2),
  'read(buf, 2, 2)': (fh, a) => fh.read((a.buf = Buffer.alloc(5, 0x2e)), 2, 2),
  'read(buf, 0, 4, 0)': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, 4, 0),
  'read(buf, 0, 4, 20)': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, 4, 20),
  'read(buf, 0, 4, 24) short read': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, 4, 24),
  'read(buf, 0, 4, 26) at EOF': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, 4, 26),
  'read(buf, 0, 4, 1000) past EOF': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, 4, 1000),
  'read(buf, 0, 4, null)': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, 4, null),
  'read(buf, 0, 4, undefined)': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, 4, undefined),
  'read(buf, 0, 4, -1)': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, 4, -1),
  'read(buf, 0, 4, -5)': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, 4, -5),
  'read(buf, 0, 4, 5n) (bigint: current position on Node 20, offset on 21+)': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, 4, 5n),
  'read(buf, 0, 4, 0n)': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, 4, 0n),
  'read(buf, 0, 4, 1.5)': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, 4, 1.5),
  "read(buf, 0, 4, '7')": (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, 4, '7'),
  'read(buf, 0, 4, Infinity)': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, 4, Infinity),
  'read(buf, 0, 4, 2**53-1)': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, 4, 2 ** 53 - 1),
  'read(buf, 0, 4, 2**53)': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, 4, 2 ** 53),
  'read(buf, 0, 0, 0) length 0': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, 0, 0),
  'read(buf, 0, -0, 0)': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, -0, 0),
  'read(buf, 0, null, 0)': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), 0, null, 0),
  'read(buf, null)': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), null),
  'read(buf, undefined, undefined, 2)': (fh, a) => fh.read((a.buf = Buffer.alloc(4)), undefined, undefined, 2),
  'read(buf, {offset, length, position})': (fh, a) => fh.read((a.buf = Buffer.alloc(6, 0x2e)), { offset: 1, length: 3, position: 0 }),
  'read(buf, {})': (fh, a) => fh.read((a.buf = Buffer.alloc(6)), {}),
  'read(buf, {position: 5n})': (fh, a) => fh.read((a.buf = Buffer.alloc(6)), { position: 5n }),
  'read(emptyBuf)': (fh, a) => fh.read((a.buf = Buffer.alloc(0))),
  'read(emptyBuf, 0, 1, 0)': (fh) => fh.read(Buffer.alloc(0), 0, 1, 0),
  'read(Uint16Array, 0, 4, 0)': (fh, a) => fh.read((a.buf = new Uint16Array(2)), 0, 4, 0),
  'read(Float64Array, 0, 8, 0)': (fh, a) => fh.read((a.buf = new Float64Array(1)), 0, 8, 0),
  'read(DataView, 0, 4, 0)': (fh, a) => fh.read((a.buf = new DataView(new ArrayBuffer(4))), 0, 4, 0),
  'read(subarray view, 1, 2, 0)': (fh, a) => fh.read((a.buf = Buffer.alloc(10, 0x2e).subarray(3, 7)), 1, 2, 0),
  // validation failures
  'read(buf, 0, 9) length > buffer': (fh) => fh.read(Buffer.alloc(8), 0, 9),
  'read(buf, 9) offset > buffer': (fh) => fh.read(Buffer.alloc(8), 9),
  'read(buf, -1)': (fh) => fh.read(Buffer.alloc(8), -1),
  'read(buf, 1.5)': (fh) => fh.read(Buffer.alloc(8), 1.5),
  "read(buf, '1')": (fh) => fh.read(Buffer.alloc(8), '1'),
  'read(buf, 1n)': (fh) => fh.read(Buffer.alloc(8), 1n),
  'read(buf, 0, -1)': (fh) => fh.read(Buffer.alloc(8), 0, -1),
  'read(buf, 0, 3n)': (fh) => fh.read(Buffer.alloc(8), 0, 3n, 0),
  'read(buf, 0, 2**31)': (fh) => fh.read(Buffer.alloc(8), 0, 2 ** 31, 0),
  "read('abc')": (fh) => fh.read('abc'),
  'read(5)': (fh) => fh.read(5),
  'read(true)': (fh) => fh.read(true),
};

t.test('FileHandle.read overloads', async (t) => {
  const tw = twins(t, layout);
  for (const [label, op] of Object.entries(readCases)) {
    await tw.same(t, label, (fsp, d) => onHandle(fsp, d, op), (r) => !!r.value.r);
  }
  // Spot checks that pin the oracle's (surprising) behaviour, so the comparisons above are real.
  const a = await tw.run((fsp, d) => onHandle(fsp, d, readCases['read()']));
  t.equal(a.node.value.r.value.buffer.$buffer, 16384, 'oracle: read() allocates 16 KiB');
  const b = await tw.run((fsp, d) => onHandle(fsp, d, readCases['read(buf, 0, 4, 5n) (bigint: current position on Node 20, offset on 21+)']));
  // Node 21 made FileHandle.read validate positions as fs.read does (nodejs/node#42835).
  const bigintIsOffset = nodeMajor >= 21;
  t.equal(b.node.value.r.value.buffer.bytes, Buffer.from(bigintIsOffset ? 'fghi' : 'defg').toString('hex'),
    `oracle: a bigint position reads ${bigintIsOffset ? 'at that offset' : 'at the current position'}`);
});

t.test('FileHandle.read on an empty file and on a directory', async (t) => {
  const tw = twins(t, { 'empty': '', dir: {} });
  await tw.same(t, 'read() on empty file', async (fsp, d) => {
    const fh = await fsp.open(`${d}/empty`);
    try { return await capture(() => fh.read()); } finally { await fh.close(); }
  }, (r) => r.value.value.bytesRead === 0);
  await tw.same(t, 'read() on a directory handle', async (fsp, d) => {
    const fh = await fsp.open(`${d}/dir`);
    try { return await capture(() => fh.read()); } finally { await fh.close(); }
  }, (r) => r.value.error.code === 'EISDIR');
  // Found by the property test (FC_SEED=767529371): the ring's READV of zero bytes never looks
  // at the file, readv(2) does.
  await tw.same(t, 'readv([empty buffer]) on a directory handle', async (fsp, d) => {
    const fh = await fsp.open(`${d}/dir`);
    try { return await capture(() => fh.readv([Buffer.alloc(0)], 0)); } finally { await fh.close(); }
  }, (r) => r.value.error.code === 'EISDIR');
  await tw.same(t, 'write() on a read-only handle', async (fsp, d) => {
    const fh = await fsp.open(`${d}/empty`, 'r');
    try { return await capture(() => fh.write('x')); } finally { await fh.close(); }
  }, (r) => r.value.error.code === 'EBADF');
  await tw.same(t, 'read() on a write-only handle', async (fsp, d) => {
    const fh = await fsp.open(`${d}/empty`, 'w');
    try { return await capture(() => fh.read(Buffer.alloc(1), 0, 1, 0)); } finally { await fh.close(); }
  }, (r) => r.value.error.code === 'EBADF');
});

const writeCases = {
  'write(buf)': (fh, a) => fh.write((a.buf = Buffer.from('XYZ'))),
  'write(buf, 1)': (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), 1),
  'write(buf, 1, 1)': (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), 1, 1),
  'write(buf, 0, 3, 10)': (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), 0, 3, 10),
  'write(buf, 0, 3, 0)': (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), 0, 3, 0),
  'write(buf, 0, 3, 30) past EOF (hole)': (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), 0, 3, 30),
  'write(buf, 0, 3, null)': (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), 0, 3, null),
  'write(buf, 0, 3, -1)': (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), 0, 3, -1),
  'write(buf, 0, 3, -5)': (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), 0, 3, -5),
  'write(buf, 0, 3, 5n) (bigint -> current position)': (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), 0, 3, 5n),
  'write(buf, 0, 3, 1.5)': (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), 0, 3, 1.5),
  "write(buf, 0, 3, '7')": (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), 0, 3, '7'),
  'write(buf, 0, 3, 2**53-1)': (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), 0, 3, 2 ** 53 - 1),
  "write(buf, 0, '2', 0) (non-number length -> rest)": (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), 0, '2', 0),
  'write(buf, null)': (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), null),
  'write(buf, 3) offset == length': (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), 3),
  'write(buf, {})': (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), {}),
  'write(buf, {offset, length, position})': (fh, a) => fh.write((a.buf = Buffer.from('XYZW')), { offset: 1, length: 2, position: 0 }),
  'write(buf, {position: 2})': (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), { position: 2 }),
  'write(buf, {position: 2n})': (fh, a) => fh.write((a.buf = Buffer.from('XYZ')), { position: 2n }),
  'write(emptyBuf)': (fh, a) => fh.write((a.buf = Buffer.alloc(0))),
  'write(emptyBuf, 5, 5, 5) (no validation for empty)': (fh, a) => fh.write((a.buf = Buffer.alloc(0)), 5, 5, 5),
  'write(Uint16Array)': (fh, a) => fh.write((a.buf = new Uint16Array([0x4241, 0x4443]))),
  'write(Float32Array, 0, 4, 0)': (fh, a) => fh.write((a.buf = new Float32Array([1.5])), 0, 4, 0),
  'write(DataView)': (fh, a) => fh.write((a.buf = new DataView(Uint8Array.from([0x51, 0x52, 0x53]).buffer))),
  'write(subarray)': (fh, a) => fh.write((a.buf = Buffer.from('0123456789').subarray(4, 7))),
  "write('str')": (fh) => fh.write('str'),
  "write('str', 4)": (fh) => fh.write('str', 4),
  "write('str', null)": (fh) => fh.write('str', null),
  "write('str', 4n) (bigint -> current position)": (fh) => fh.write('str', 4n),
  "write('str', -3)": (fh) => fh.write('str', -3),
  "write('str', '4')": (fh) => fh.write('str', '4'),
  "write('str', 1.5)": (fh) => fh.write('str', 1.5),
  "write('616263', 0, 'hex')": (fh) => fh.write('616263', 0, 'hex'),
  "write('zz', 0, 'hex') (0 bytes)": (fh) => fh.write('zz', 0, 'hex'),
  "write('abc', 0, 'hex') odd length": (fh) => fh.write('abc', 0, 'hex'),
  "write('aGk=', 0, 'base64')": (fh) => fh.write('aGk=', 0, 'base64'),
  "write('hi', 0, 'ucs2')": (fh) => fh.write('hi', 0, 'ucs2'),
  "write('hé€', 0, 'latin1')": (fh) => fh.write('hé€', 0, 'latin1'),
  "write('hé€😀', 0)": (fh) => fh.write('hé€😀', 0),
  "write('x', 0, 'bogus')": (fh) => fh.write('x', 0, 'bogus'),
  "write('x', 0, 5) (non-string encoding)": (fh) => fh.write('x', 0, 5),
  "write('')": (fh) => fh.write(''),
  // validation failures
  'write(buf, 4) offset > length': (fh) => fh.write(Buffer.from('XYZ'), 4),
  'write(buf, 0, 4) length > buffer': (fh) => fh.write(Buffer.from('XYZ'), 0, 4),
  'write(buf, 0, -1)': (fh) => fh.write(Buffer.from('XYZ'), 0, -1),
  'write(buf, 0, 1.5)': (fh) => fh.write(Buffer.from('XYZ'), 0, 1.5),
  'write(buf, -1)': (fh) => fh.write(Buffer.from('XYZ'), -1),
  "write(buf, '1')": (fh) => fh.write(Buffer.from('XYZ'), '1'),
  'write(5)': (fh) => fh.write(5),
  'write({})': (fh) => fh.write({}),
  'write(null)': (fh) => fh.write(null),
  'write(undefined)': (fh) => fh.write(undefined),
  "write(new String('x'))": (fh) => fh.write(new String('x')),
  'write({toString})': (fh) => fh.write({ toString: () => 'q' }),
  'write(ArrayBuffer)': (fh) => fh.write(new ArrayBuffer(2)),
  'write([1,2])': (fh) => fh.write([1, 2]),
};

t.test('FileHandle.write overloads', async (t) => {
  const tw = twins(t, layout);
  for (const [label, op] of Object.entries(writeCases)) {
    await tw.same(t, label, (fsp, d) => onHandle(fsp, d, op), (r) => !!r.value.r);
  }
  const a = await tw.run((fsp, d) => onHandle(fsp, d, writeCases['write(buf, 0, 3, 5n) (bigint -> current position)']));
  t.equal(a.node.value.file, 'abcXYZghijklmnopqrstuvwxyz', 'oracle: bigint position writes at the current position');
});

t.test('write/read on an O_APPEND handle ignore position for writes', async (t) => {
  const tw = twins(t, layout);
  for (const flags of ['a', 'a+', 'as+']) {
    await tw.same(t, `positional write with '${flags}'`, async (fsp, d) => {
      const fh = await fsp.open(`${d}/alpha.txt`, flags);
      const w = await capture(() => fh.write(Buffer.from('01'), 0, 2, 0));
      const s = await capture(() => fh.write('23', 1));
      const r = await capture(() => fh.read(Buffer.alloc(4), 0, 4, 0));
      await fh.close();
      return { w, s, r, file: fs.readFileSync(`${d}/alpha.txt`, 'latin1') };
    }, 'ok');
  }
});

const vecCases = {
  'readv([a, b])': (fh, a) => fh.readv((a.buf = [Buffer.alloc(2), Buffer.alloc(3)])),
  'readv([a, b], 10)': (fh, a) => fh.readv((a.buf = [Buffer.alloc(2), Buffer.alloc(3)]), 10),
  'readv([a, b], null)': (fh, a) => fh.readv((a.buf = [Buffer.alloc(2), Buffer.alloc(3)]), null),
  'readv([a], 5n) (bigint -> current position)': (fh, a) => fh.readv((a.buf = [Buffer.alloc(2)]), 5n),
  'readv([a], -1)': (fh, a) => fh.readv((a.buf = [Buffer.alloc(2)]), -1),
  "readv([a], '5')": (fh, a) => fh.readv((a.buf = [Buffer.alloc(2)]), '5'),
  'readv([a], 24) short': (fh, a) => fh.readv((a.buf = [Buffer.alloc(4), Buffer.alloc(4)]), 24),
  'readv([a], 2**53-1)': (fh, a) => fh.readv((a.buf = [Buffer.alloc(2)]), 2 ** 53 - 1),
  'readv([]) (EINVAL in Node)': (fh, a) => fh.readv((a.buf = []), 0),
  'readv([empty])': (fh, a) => fh.readv((a.buf = [Buffer.alloc(0)]), 0),
  'readv(typed arrays)': (fh, a) => fh.readv((a.buf = [new Uint16Array(1), new DataView(new ArrayBuffer(3)), new Uint8Array(2)]), 0),
  'readv(Buffer) not an array': (fh) => fh.readv(Buffer.alloc(3), 0),
  "readv(['x'])": (fh) => fh.readv(['x'], 0),
  'readv()': (fh) => fh.readv(),
  'writev([a, b])': (fh, a) => fh.writev((a.buf = [Buffer.from('12'), Buffer.from('345')])),
  'writev([a, b], 20)': (fh, a) => fh.writev((a.buf = [Buffer.from('12'), Buffer.from('345')]), 20),
  'writev([a], 40) hole': (fh, a) => fh.writev((a.buf = [Buffer.from('12')]), 40),
  'writev([a], 5n) (bigint -> current position)': (fh, a) => fh.writev((a.buf = [Buffer.from('12')]), 5n),
  'writev([a], -1)': (fh, a) => fh.writev((a.buf = [Buffer.from('12')]), -1),
  'writev([])': (fh, a) => fh.writev((a.buf = []), 0),
  'writev([empty, a])': (fh, a) => fh.writev((a.buf = [Buffer.alloc(0), Buffer.from('9')]), 0),
  'writev(typed arrays)': (fh, a) => fh.writev((a.buf = [new Uint16Array([0x4142]), new DataView(Uint8Array.from([0x43, 0x44]).buffer)]), 0),
  "writev(['a'])": (fh) => fh.writev(['a'], 0),
  'writev(null)': (fh) => fh.writev(null),
  'writev([a, 1])': (fh) => fh.writev([Buffer.from('a'), 1]),
};

t.test('readv / writev', async (t) => {
  const tw = twins(t, layout);
  for (const [label, op] of Object.entries(vecCases)) {
    await tw.same(t, label, (fsp, d) => onHandle(fsp, d, op), (r) => !!r.value.r);
  }
  await tw.same(t, 'writev of 2000 small buffers (more than IOV_MAX)', async (fsp, d) => {
    const bufs = Array.from({ length: 2000 }, (_, i) => Buffer.from(`${i},`));
    const fh = await fsp.open(`${d}/many`, 'w+');
    const w = await capture(() => fh.writev(bufs, 0));
    const back = Array.from({ length: 2000 }, (_, i) => Buffer.alloc(`${i},`.length));
    const r = await capture(() => fh.readv(back, 0));
    await fh.close();
    return { w, r, file: digest(fs.readFileSync(`${d}/many`)) };
  }, 'ok');
});

// Deterministic chunk sizes.
function chunkSizes(total, seed) {
  const sizes = [];
  let x = seed;
  let left = total;
  while (left > 0) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const n = Math.min(left, 1 + (x % 70000));
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

t.test('positional and sequential writes/reads produce identical bytes', async (t) => {
  const data = pattern(3 * 1024 * 1024 + 17, 42);
  const tw = twins(t);
  const sizes = chunkSizes(data.length, 7);
  const offsets = [];
  sizes.reduce((o, n) => (offsets.push(o), o + n), 0);

  await tw.same(t, 'sequential writes (position null) then sequential reads', async (fsp, d) => {
    const fh = await fsp.open(`${d}/seq`, 'w+');
    let written = 0;
    for (const [i, n] of sizes.entries()) {
      const { bytesWritten } = await fh.write(data, offsets[i], n, null);
      written += bytesWritten;
    }
    // A positional read must not move the file position...
    const peek = await fh.read(Buffer.alloc(16), 0, 16, 0);
    // ...so the next sequential read is at EOF.
    const atEof = await fh.read(Buffer.alloc(16), 0, 16, null);
    const back = Buffer.alloc(data.length);
    let got = 0;
    for (const n of sizes) {
      const { bytesRead } = await fh.read(back, got, n, got); // positional
      got += bytesRead;
    }
    await fh.close();
    return { written, peek: peek.bytesRead, atEof: atEof.bytesRead, got, same: back.equals(data), file: digest(fs.readFileSync(`${d}/seq`)) };
  }, (r) => r.value.same === true && r.value.atEof === 0);

  await tw.same(t, 'positional writes in shuffled order then sequential reads', async (fsp, d) => {
    const fh = await fsp.open(`${d}/pos`, 'w+');
    const order = sizes.map((_, i) => i).sort((a, b) => ((a * 7919) % 13) - ((b * 7919) % 13) || a - b);
    for (const i of order) await fh.write(data, offsets[i], sizes[i], offsets[i]);
    const back = Buffer.alloc(data.length);
    let got = 0;
    for (const n of sizes.slice().reverse()) {
      const { bytesRead } = await fh.read(back, got, n, null); // sequential from 0
      got += bytesRead;
    }
    const eof = await fh.read(Buffer.alloc(1), 0, 1, null);
    await fh.close();
    return { got, eof: eof.bytesRead, same: back.equals(data), file: digest(fs.readFileSync(`${d}/pos`)) };
  }, (r) => r.value.same === true);

  await tw.same(t, 'mixed string / buffer / writev sequential writes', async (fsp, d) => {
    const fh = await fsp.open(`${d}/mixed`, 'w+');
    const rs = [];
    rs.push(await fh.write('héllo '));
    rs.push(await fh.write(Buffer.from('wörld ')));
    rs.push(await fh.writev([Buffer.from('a'), Buffer.from('b')]));
    rs.push(await fh.write('6869', null, 'hex'));
    rs.push(await fh.write(new Uint8Array([0x21, 0x0a])));
    rs.push(await fh.write('X', 0)); // positional; does not move the position
    rs.push(await fh.write('!'));
    await fh.close();
    return { rs, file: fs.readFileSync(`${d}/mixed`, 'latin1') };
  }, 'ok');
  tw.sameTree(t);
});
