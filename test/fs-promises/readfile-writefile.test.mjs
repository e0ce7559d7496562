// readFile / writeFile / appendFile (paths and FileHandles).
import t from 'tap';
import fs from 'node:fs';
import { spawn, execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { twins, capture, pattern, digest } from '../helpers/twin.mjs';

const MiB = 1024 * 1024;
const EURO_TEXT = 'a€😀b'.repeat(180000); // multi-byte chars straddle every 64 KiB / 512 KiB chunk edge

const layout = (d) => {
  fs.writeFileSync(`${d}/small.txt`, 'hello, world\n');
  fs.writeFileSync(`${d}/empty`, '');
  fs.mkdirSync(`${d}/dir`);
  fs.writeFileSync(`${d}/one-mib-plus`, pattern(MiB + 1, 3));
  fs.writeFileSync(`${d}/ten-mib-plus`, pattern(10 * MiB + 3, 9));
  fs.writeFileSync(`${d}/euro.txt`, EURO_TEXT);
  fs.writeFileSync(`${d}/exactly-512k`, pattern(512 * 1024, 5));
  fs.symlinkSync('small.txt', `${d}/link`);
};

const file = (d, rel) => {
  try { return digest(fs.readFileSync(`${d}/${rel}`)); } catch (e) { return e.code; }
};
const mode = (d, rel) => {
  try { return fs.statSync(`${d}/${rel}`).mode; } catch (e) { return e.code; }
};

t.test('readFile: plain cases', async (t) => {
  const tw = twins(t, layout);
  const cases = [
    ['small file', 'small.txt', undefined, 'ok'],
    ['small file utf8', 'small.txt', 'utf8', 'ok'],
    ['through symlink', 'link', 'utf8', 'ok'],
    ['empty file', 'empty', undefined, (r) => r.value.$buffer === 0],
    ['empty file utf8', 'empty', { encoding: 'utf8' }, (r) => r.value === ''],
    ['missing', 'nope', undefined, 'ENOENT'],
    ['missing with encoding', 'nope', 'utf8', 'ENOENT'],
    ['ENOTDIR', 'small.txt/x', undefined, 'ENOTDIR'],
    ['directory -> EISDIR', 'dir', undefined, 'EISDIR'],
    ['directory -> EISDIR with encoding', 'dir', 'utf8', 'EISDIR'],
    ['exactly 512 KiB', 'exactly-512k', undefined, 'ok'],
    ['1 MiB + 1', 'one-mib-plus', undefined, (r) => r.value.$buffer === MiB + 1],
    ['10 MiB + 3', 'ten-mib-plus', undefined, (r) => r.value.$buffer === 10 * MiB + 3],
    ['10 MiB + 3 latin1', 'ten-mib-plus', 'latin1', 'ok'],
    ['1 MiB + 1 base64', 'one-mib-plus', { encoding: 'base64' }, 'ok'],
    ['1 MiB + 1 hex', 'one-mib-plus', 'hex', 'ok'],
    ['1 MiB + 1 utf8 (invalid sequences)', 'one-mib-plus', 'utf8', 'ok'],
    ['multi-byte utf8 text across chunks', 'euro.txt', 'utf8', (r) => r.value.$string === EURO_TEXT.length],
    ['multi-byte text as utf16le', 'euro.txt', 'utf16le', 'ok'],
    ['multi-byte text as ucs2', 'euro.txt', 'ucs2', 'ok'],
    ['multi-byte text as base64url', 'euro.txt', 'base64url', 'ok'],
    ['multi-byte text as ascii', 'euro.txt', 'ascii', 'ok'],
    ["encoding 'UTF-8'", 'small.txt', 'UTF-8', 'ok'],
    ["encoding 'binary'", 'small.txt', 'binary', 'ok'],
    ["encoding 'buffer' (string form)", 'small.txt', 'buffer', 'reject'],
    ["encoding 'buffer' (object form)", 'small.txt', { encoding: 'buffer' }, 'reject'],
    ['encoding null', 'small.txt', { encoding: null }, 'ok'],
    ['options null', 'small.txt', null, 'ok'],
    ['options function (ignored)', 'small.txt', () => {}, 'ok'],
    ['flag r+', 'small.txt', { flag: 'r+', encoding: 'utf8' }, 'ok'],
    ['flag a+ reads from start', 'small.txt', { flag: 'a+', encoding: 'utf8' }, (r) => r.value === 'hello, world\n'],
    ['flag w (write only) -> EBADF', 'small.txt', { flag: 'w' }, 'EBADF'],
    ['flag wx on existing -> EEXIST', 'small.txt', { flag: 'wx' }, 'EEXIST'],
    ['flag ax+ on missing creates', 'created-by-readfile', { flag: 'ax+', encoding: 'utf8' }, (r) => r.value === ''],
    ['flag w+ truncates', 'one-mib-plus', { flag: 'w+' }, (r) => r.value.$buffer === 0],
    ['flag numeric O_RDONLY', 'small.txt', { flag: fs.constants.O_RDONLY }, 'ok'],
    ["flag ''", 'small.txt', { flag: '' }, 'ok'],
  ];
  for (const [label, rel, opts, expect] of cases) {
    await tw.same(t, `readFile ${label}`, (fsp, d) => fsp.readFile(`${d}/${rel}`, opts), expect);
  }
  tw.sameTree(t);
});

t.test('readFile: path forms', async (t) => {
  const tw = twins(t, layout);
  await tw.same(t, 'Buffer path', (fsp, d) => fsp.readFile(Buffer.from(`${d}/small.txt`), 'utf8'), 'ok');
  await tw.same(t, 'file URL', (fsp, d) => fsp.readFile(new URL(`file://${d}/small.txt`), 'utf8'), 'ok');
  await tw.same(t, 'file URL missing', (fsp, d) => fsp.readFile(new URL(`file://${d}/n%C3%A9`)), 'ENOENT');
});

t.test('readFile: files whose stat size is 0 (procfs)', async (t) => {
  const tw = twins(t);
  for (const p of ['/proc/self/cmdline', '/proc/version', '/proc/self/mountinfo', '/proc/filesystems', '/proc/self/limits']) {
    if (!fs.existsSync(p)) continue;
    if (fs.statSync(p).size !== 0) continue;
    await tw.same(t, `readFile ${p}`, (fsp) => fsp.readFile(p), (r) => r.value.$buffer > 0);
    await tw.same(t, `readFile ${p} utf8`, (fsp) => fsp.readFile(p, 'utf8'), 'ok');
  }
  // /proc/self/status changes between reads (memory counters), so compare its shape: the
  // field names, in order, and that the file ends with a newline.
  if (fs.existsSync('/proc/self/status')) {
    for (const enc of [undefined, 'utf8', 'latin1']) {
      await tw.same(t, `readFile /proc/self/status (${enc ?? 'Buffer'}) shape`, async (fsp) => {
        const v = await fsp.readFile('/proc/self/status', enc);
        const text = typeof v === 'string' ? v : `Buffer:${v.toString('latin1')}`;
        return text.split('\n').map((l) => l.split(':')[0]);
      }, (r) => r.value.includes('VmRSS') || r.value.includes('Buffer:Name'));
    }
  }
  // A large (> 64 KiB, several unknown-size chunks) procfs file, if it reads back stably.
  const big = '/proc/kallsyms';
  let stable = false;
  try { stable = fs.statSync(big).size === 0 && fs.readFileSync(big).equals(fs.readFileSync(big)); } catch {}
  if (stable) {
    await tw.same(t, `readFile ${big}`, (fsp) => fsp.readFile(big), (r) => r.value.$buffer > 65536);
    await tw.same(t, `readFile ${big} latin1`, async (fsp) => digest(Buffer.from(await fsp.readFile(big, 'latin1'), 'latin1')), 'ok');
  }
});

t.test('readFile: a FIFO (stat size 0, 300 KB of data, arrives in pieces)', async (t) => {
  const tw = twins(t);
  let haveMkfifo = true;
  try {
    tw.each((d) => execFileSync('mkfifo', [`${d}/fifo`]));
  } catch { haveMkfifo = false; }
  if (!haveMkfifo) return t.skip('mkfifo not available');
  const writerSrc = `
    const fs = require('fs');
    const fd = fs.openSync(process.argv[1], 'w');
    const chunk = Buffer.alloc(30000);
    for (let i = 0; i < 10; i++) { chunk.fill(97 + i); fs.writeSync(fd, chunk); }
    fs.closeSync(fd);`;
  for (const enc of [undefined, 'utf8']) {
    await tw.same(t, `readFile fifo encoding=${enc}`, async (fsp, d) => {
      const child = spawn(process.execPath, ['-e', writerSrc, `${d}/fifo`], { stdio: 'ignore' });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      const r = await capture(() => fsp.readFile(`${d}/fifo`, enc));
      await exited;
      return r;
    }, (r) => r.value.value.$buffer === 300000 || r.value.value.$string === 300000);
  }
});

t.test('readFile: too large (sparse > 2 GiB)', async (t) => {
  const tw = twins(t, (d) => {
    fs.writeFileSync(`${d}/huge`, '');
    fs.truncateSync(`${d}/huge`, 2 ** 31);
  });
  await tw.same(t, 'readFile 2 GiB file', (fsp, d) => fsp.readFile(`${d}/huge`), 'ERR_FS_FILE_TOO_LARGE');
  await tw.same(t, 'no fd leaked by the failure', async (fsp, d) => {
    const n = fs.readdirSync('/proc/self/fd').length;
    await fsp.readFile(`${d}/huge`).catch(() => {});
    return fs.readdirSync('/proc/self/fd').length - n;
  }, (r) => r.value === 0);
});

t.test('readFile on FileHandles', async (t) => {
  const tw = twins(t, layout);
  const viaHandle = (rel, flags, pre, readOpts, useModule) => async (fsp, d) => {
    const fh = await fsp.open(`${d}/${rel}`, flags);
    try {
      if (pre) await pre(fh);
      const r = await capture(() => (useModule ? fsp.readFile(fh, readOpts) : fh.readFile(readOpts)));
      const again = await capture(() => fh.readFile('utf8')); // second readFile continues at EOF
      return { r, again, fdStillOpen: fh.fd >= 0 };
    } finally { await fh.close(); }
  };
  await tw.same(t, 'fh.readFile()', viaHandle('small.txt', 'r'), (r) => r.value.again.value === '');
  await tw.same(t, 'fh.readFile(utf8)', viaHandle('small.txt', 'r', null, 'utf8'), 'ok');
  await tw.same(t, 'fh.readFile({encoding})', viaHandle('euro.txt', 'r', null, { encoding: 'utf8' }), 'ok');
  await tw.same(t, 'fh.readFile after a partial read continues from the position',
    viaHandle('small.txt', 'r', (fh) => fh.read(Buffer.alloc(7), 0, 7, null), 'utf8'), (r) => r.value.r.value === 'world\n');
  await tw.same(t, 'fh.readFile after a positional read starts at 0',
    viaHandle('small.txt', 'r', (fh) => fh.read(Buffer.alloc(7), 0, 7, 0), 'utf8'), 'ok');
  await tw.same(t, 'fsp.readFile(fh)', viaHandle('ten-mib-plus', 'r', null, undefined, true), 'ok');
  await tw.same(t, 'fsp.readFile(fh, latin1) ignores flag option', viaHandle('small.txt', 'r', null, { encoding: 'latin1', flag: 'w' }, true), 'ok');
  await tw.same(t, 'fh.readFile on a write-only handle', viaHandle('small.txt', 'a'), (r) => r.value.r.error.code === 'EBADF');
  await tw.same(t, 'fh.readFile on a directory handle', viaHandle('dir', 'r'), (r) => r.value.r.error.code === 'EISDIR');
  await tw.same(t, 'fh.readFile bad encoding', viaHandle('small.txt', 'r', null, { encoding: 'nope' }), (r) => !!r.value.r.error);
  await tw.same(t, 'fh.readFile bad options type', viaHandle('small.txt', 'r', null, 42), (r) => r.value.r.error.code === 'ERR_INVALID_ARG_TYPE');
});

const dataCases = {
  "'héllo' default utf8": () => 'héllo',
  "'' empty string": () => '',
  Buffer: () => Buffer.from('buffer data'),
  'empty Buffer': () => Buffer.alloc(0),
  'Buffer subarray': () => Buffer.from('0123456789').subarray(2, 6),
  Uint8Array: () => new Uint8Array([1, 2, 3, 250]),
  Uint16Array: () => new Uint16Array([0x4142, 0x4344]),
  Float64Array: () => new Float64Array([Math.PI]),
  DataView: () => new DataView(Uint8Array.from([9, 8, 7]).buffer),
  'large 10 MiB Buffer': () => pattern(10 * MiB + 5, 11),
  'large multi-byte string': () => EURO_TEXT,
  'array of strings': () => ['ab', 'cé', '€'],
  'array of Buffers': () => [Buffer.from('x'), Buffer.from('yz')],
  'array of mixed strings and typed arrays': () => ['a', new Uint8Array([66]), Buffer.from('c')],
  'Set of strings': () => new Set(['1', '2', '3']),
  'generator': () => (function* () { yield 'g1'; yield Buffer.from('g2'); yield 'g3'; })(),
  'async generator': () => (async function* () { yield 'a1'; await null; yield Buffer.from('a2'); })(),
  'Readable stream': () => Readable.from(['r1', 'r2', 'r3']),
  'iterable with a large chunk': () => [pattern(3 * MiB, 2), 'tail'],
  'empty array': () => [],
  'iterable yielding a number': () => [1, 2],
  'iterable yielding an object': () => [{}],
  'generator that throws': () => (function* () { yield 'ok'; throw new RangeError('boom from generator'); })(),
  number: () => 42,
  'plain object': () => ({ a: 1 }),
  null: () => null,
  undefined: () => undefined,
  'String object': () => new String('boxed'),
  'object with toString': () => ({ toString: () => 'custom' }),
  ArrayBuffer: () => new ArrayBuffer(4),
};

t.test('writeFile data types', async (t) => {
  const tw = twins(t, layout);
  for (const [label, make] of Object.entries(dataCases)) {
    await tw.same(t, `writeFile ${label}`, async (fsp, d) => {
      const r = await capture(() => fsp.writeFile(`${d}/out`, make()));
      return { r, file: file(d, 'out') };
    }, (r) => r.value.r.outcome === 'resolve' || r.value.r.outcome === 'reject');
    tw.each((d) => fs.rmSync(`${d}/out`, { force: true }));
  }
});

t.test('writeFile encodings and options', async (t) => {
  const tw = twins(t, layout);
  const cases = [
    ['hex string via options string', '68656c6c6f', 'hex'],
    ['hex string via options object', '68656c6c6f', { encoding: 'hex' }],
    ['odd hex', '6868f', 'hex'],
    ['base64', 'aGVsbG8gd29ybGQ=', 'base64'],
    ['base64url', 'aGVsbG8_d29ybGQ-', { encoding: 'base64url' }],
    ['latin1', 'héllo €', 'latin1'],
    ['ascii', 'héllo', 'ascii'],
    ['ucs2', 'hé€', 'ucs2'],
    ['utf16le iterable', ['h', 'é'], { encoding: 'utf16le' }],
    ['hex iterable', ['6869', '21'], { encoding: 'hex' }],
    ['encoding ignored for Buffers', Buffer.from('raw'), 'hex'],
    ['encoding null', 'null enc', { encoding: null }],
    ['bad encoding', 'x', { encoding: 'nope' }],
    ["encoding 'buffer'", 'x', 'buffer'],
    ['mode 0o600', 'x', { mode: 0o600 }],
    ["mode '640'", 'x', { mode: '640' }],
    ['mode invalid', 'x', { mode: 'rwx' }],
    ['flag wx on new file', 'x', { flag: 'wx' }],
    ['flag a', 'appended', { flag: 'a' }],
    ['flag r+ overwrites in place', 'XY', { flag: 'r+' }],
    ['flag r -> EBADF', 'x', { flag: 'r' }],
    ['flag invalid', 'x', { flag: 'q' }],
    ['flag numeric', 'numflag', { flag: fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC }],
    ['flush true', 'flushed', { flush: true }],
    ['flush false', 'unflushed', { flush: false }],
    ['flush null', 'x', { flush: null }],
    ['flush invalid', 'x', { flush: 'yes' }],
    ['options number', 'x', 5],
    ['options function', 'fn-opts', () => {}],
    ['signal invalid', 'x', { signal: 'nope' }],
  ];
  for (const [label, data, opts] of cases) {
    await tw.same(t, `writeFile ${label} (new file)`, async (fsp, d) => {
      const r = await capture(() => fsp.writeFile(`${d}/new-${label}`, data, opts));
      return { r, file: file(d, `new-${label}`), mode: mode(d, `new-${label}`) };
    }, 'ok');
    await tw.same(t, `writeFile ${label} (existing file)`, async (fsp, d) => {
      fs.writeFileSync(`${d}/existing`, 'existing content');
      fs.chmodSync(`${d}/existing`, 0o644);
      const r = await capture(() => fsp.writeFile(`${d}/existing`, data, opts));
      return { r, file: file(d, 'existing'), mode: mode(d, 'existing') };
    }, 'ok');
  }
  tw.sameTree(t);
});

t.test('writeFile errors', async (t) => {
  const tw = twins(t, layout);
  await tw.same(t, 'wx on an existing file -> EEXIST', (fsp, d) => fsp.writeFile(`${d}/small.txt`, 'x', { flag: 'wx' }), 'EEXIST');
  await tw.same(t, 'to a directory -> EISDIR', (fsp, d) => fsp.writeFile(`${d}/dir`, 'x'), 'EISDIR');
  await tw.same(t, 'in a missing directory -> ENOENT', (fsp, d) => fsp.writeFile(`${d}/nodir/x`, 'x'), 'ENOENT');
  await tw.same(t, 'through a file -> ENOTDIR', (fsp, d) => fsp.writeFile(`${d}/small.txt/x`, 'x'), 'ENOTDIR');
  await tw.same(t, 'to a read-only file', async (fsp, d) => {
    fs.writeFileSync(`${d}/ro`, 'ro');
    fs.chmodSync(`${d}/ro`, 0o444);
    return capture(() => fsp.writeFile(`${d}/ro`, 'x'));
  }, 'ok');
  await tw.same(t, 'to /dev/full -> ENOSPC', (fsp) => fsp.writeFile('/dev/full', 'x'), fs.existsSync('/dev/full') ? 'ENOSPC' : undefined);
  tw.sameTree(t);
});

t.test('appendFile', async (t) => {
  const tw = twins(t, layout);
  const cases = [
    ['string to existing', 'small.txt', ' more', undefined],
    ['Buffer to existing', 'small.txt', Buffer.from(' buf'), undefined],
    ['creates a missing file', 'fresh', 'fresh', undefined],
    ['with mode on creation', 'fresh-mode', 'm', { mode: 0o600 }],
    ['hex', 'small.txt', '2122', 'hex'],
    ['iterable', 'small.txt', ['i1', 'i2'], undefined],
    ['async iterable', 'small.txt', () => (async function* () { yield 'ai'; })(), undefined],
    ['generator', 'small.txt', () => (function* () { yield 'g'; yield Buffer.from('h'); })(), undefined],
    ['flag w overrides (truncates)', 'small.txt', 'W', { flag: 'w' }],
    ['flag ax on existing -> EEXIST', 'small.txt', 'x', { flag: 'ax' }],
    ['flag r+ writes at 0', 'small.txt', 'R', { flag: 'r+' }],
    ['to a directory', 'dir', 'x', undefined],
    ['bad data', 'small.txt', 42, undefined],
    ['bad options', 'small.txt', 'x', 42],
    ['large', 'small.txt', pattern(2 * MiB + 1, 4), undefined],
  ];
  for (const [label, rel, data, opts] of cases) {
    await tw.same(t, `appendFile ${label}`, async (fsp, d) => {
      fs.writeFileSync(`${d}/small.txt`, 'hello, world\n');
      const r = await capture(() => fsp.appendFile(`${d}/${rel}`, typeof data === 'function' ? data() : data, opts));
      return { r, file: file(d, rel), mode: mode(d, rel) };
    }, 'ok');
  }
  tw.sameTree(t);
});

t.test('writeFile / appendFile on FileHandles', async (t) => {
  const tw = twins(t, layout);
  const onHandle = (flags, op) => async (fsp, d) => {
    fs.writeFileSync(`${d}/h.txt`, '0123456789');
    const fh = await fsp.open(`${d}/h.txt`, flags);
    let r;
    try { r = await op(fh, fsp); } finally { await fh.close(); }
    return { r, file: fs.readFileSync(`${d}/h.txt`, 'latin1') };
  };
  const cases = {
    'fh.writeFile at start does not truncate': ['r+', (fh) => capture(() => fh.writeFile('ab'))],
    'fh.writeFile continues at the current position': ['r+', async (fh) => {
      await fh.read(Buffer.alloc(4), 0, 4, null);
      return capture(() => fh.writeFile('XY'));
    }],
    'fh.writeFile twice appends sequentially': ['r+', async (fh) => [await capture(() => fh.writeFile('A')), await capture(() => fh.writeFile('B'))]],
    'fh.writeFile on w handle': ['w', (fh) => capture(() => fh.writeFile('fresh'))],
    'fh.writeFile hex': ['r+', (fh) => capture(() => fh.writeFile('414243', 'hex'))],
    'fh.writeFile iterable': ['r+', (fh) => capture(() => fh.writeFile(['i', 'j']))],
    'fh.writeFile async iterable': ['r+', (fh) => capture(() => fh.writeFile((async function* () { yield 'k'; yield 'l'; })()))],
    'fh.writeFile 10 MiB': ['w+', (fh) => capture(() => fh.writeFile(pattern(10 * MiB, 8)))],
    'fh.writeFile flag/mode options ignored': ['r+', (fh) => capture(() => fh.writeFile('Q', { flag: 'wx', mode: 0o600 }))],
    'fh.writeFile bad data': ['r+', (fh) => capture(() => fh.writeFile(42))],
    'fh.writeFile on read-only handle': ['r', (fh) => capture(() => fh.writeFile('x'))],
    'fh.appendFile on r+ handle writes at the position': ['r+', (fh) => capture(() => fh.appendFile('ap'))],
    'fh.appendFile on a handle': ['a', (fh) => capture(() => fh.appendFile('ap'))],
    'fsp.writeFile(fh)': ['r+', (fh, fsp) => capture(() => fsp.writeFile(fh, 'via-module'))],
    'fsp.appendFile(fh)': ['a+', (fh, fsp) => capture(() => fsp.appendFile(fh, 'via-module'))],
  };
  for (const [label, [flags, op]] of Object.entries(cases)) {
    await tw.same(t, label, onHandle(flags, op), 'ok');
  }
});

t.test('write then read round trips through the shim', async (t) => {
  const tw = twins(t);
  await tw.same(t, 'writeFile 10 MiB then readFile', async (fsp, d) => {
    const data = pattern(10 * MiB + 7, 21);
    await fsp.writeFile(`${d}/rt`, data);
    const back = await fsp.readFile(`${d}/rt`);
    return { equal: back.equals(data), len: back.length };
  }, (r) => r.value.equal === true);
  await tw.same(t, 'appendFile many times then readFile', async (fsp, d) => {
    for (let i = 0; i < 50; i++) await fsp.appendFile(`${d}/ap`, `${i},`);
    return fsp.readFile(`${d}/ap`, 'utf8');
  }, 'ok');
});
