// FileHandle methods other than read/write: stat, truncate, sync, datasync, chmod, chown,
// utimes, readLines, streams, readFile/writeFile/appendFile interplay, asyncDispose.
import t from 'tap';
import fs from 'node:fs';
import { twins, capture, pattern, statsView, digest } from '../helpers/twin.mjs';

const LINES = 'first line\nsecond line\r\nthird\n\nfifth without newline';
const layout = {
  'f.txt': '0123456789',
  'lines.txt': LINES,
  'crlf.txt': 'a\r\nb\rc\nd\r\n',
  'empty': '',
  'big-lines.txt': Array.from({ length: 20000 }, (_, i) => `line ${i} ${'x'.repeat(i % 97)}`).join('\n'),
  dir: {},
};

// Open, run op, close, and report the file afterwards.
const withHandle = (rel, flags, op) => async (fsp, d) => {
  const fh = await fsp.open(`${d}/${rel}`, flags);
  let r;
  try { r = await op(fh, d); } finally { await fh.close(); }
  let file;
  try { const b = fs.readFileSync(`${d}/${rel}`); file = b.length <= 64 ? b.toString('latin1') : digest(b); } catch (e) { file = e.code; }
  return { r, file };
};

t.test('fh.stat', async (t) => {
  const tw = twins(t, layout);
  for (const [rel, flags] of [['f.txt', 'r'], ['empty', 'r+'], ['dir', 'r'], ['new', 'w']]) {
    await tw.same(t, `stat ${rel}`, withHandle(rel, flags, (fh) => capture(() => fh.stat())), 'ok');
    await tw.same(t, `stat ${rel} bigint`, withHandle(rel, flags, (fh) => capture(() => fh.stat({ bigint: true }))), 'ok');
  }
  await tw.same(t, 'stat options variants', withHandle('f.txt', 'r', async (fh) => [
    await capture(() => fh.stat({})),
    await capture(() => fh.stat(undefined)),
    await capture(() => fh.stat({ bigint: false })),
    await capture(() => fh.stat(null)),
    await capture(() => fh.stat('bigint')),
  ]), 'ok');
  await tw.same(t, 'stat sees writes through the handle', withHandle('f.txt', 'r+', async (fh) => {
    await fh.write('abcdefghijklmnop', 20);
    return statsView(await fh.stat());
  }), (r) => r.value.r.size === 36);
  await tw.same(t, 'fh.stat agrees with stat(path) and lstat', async (fsp, d) => {
    const fh = await fsp.open(`${d}/f.txt`);
    const [a, b] = [await fh.stat({ bigint: true }), await fsp.stat(`${d}/f.txt`, { bigint: true })];
    await fh.close();
    return { ino: a.ino === b.ino, dev: a.dev === b.dev, mtime: a.mtimeNs === b.mtimeNs, size: a.size === b.size };
  }, (r) => r.value.ino && r.value.mtime);
});

t.test('fh.truncate', async (t) => {
  const tw = twins(t, layout);
  const cases = [
    ['no args -> 0', (fh) => fh.truncate()],
    ['undefined -> 0', (fh) => fh.truncate(undefined)],
    ['shorter', (fh) => fh.truncate(4)],
    ['longer', (fh) => fh.truncate(20)],
    ['negative -> 0', (fh) => fh.truncate(-5)],
    ['float', (fh) => fh.truncate(1.5)],
    ['string', (fh) => fh.truncate('3')],
    ['null', (fh) => fh.truncate(null)],
    ['bigint', (fh) => fh.truncate(3n)],
    ['2**53', (fh) => fh.truncate(2 ** 53)],
  ];
  for (const [label, op] of cases) {
    tw.each((d) => fs.writeFileSync(`${d}/f.txt`, '0123456789'));
    await tw.same(t, `truncate ${label}`, withHandle('f.txt', 'r+', async (fh) => {
      const r = await capture(() => op(fh));
      return { r, size: (await fh.stat()).size };
    }), 'ok');
  }
  tw.each((d) => fs.writeFileSync(`${d}/f.txt`, '0123456789'));
  await tw.same(t, 'truncate keeps the file position', withHandle('f.txt', 'r+', async (fh) => {
    await fh.read(Buffer.alloc(8), 0, 8, null);
    await fh.truncate(2);
    await fh.write('Z'); // at position 8: creates a hole
    return (await fh.stat()).size;
  }), (r) => r.value.r === 9);
  await tw.same(t, 'truncate on a read-only handle', withHandle('f.txt', 'r', (fh) => capture(() => fh.truncate(1))), (r) => !!r.value.r.error);
});

t.test('fh.sync and fh.datasync', async (t) => {
  const tw = twins(t, layout);
  for (const flags of ['r', 'r+', 'a']) {
    await tw.same(t, `sync on '${flags}' handle`, withHandle('f.txt', flags, async (fh) => {
      if (flags !== 'r') await fh.write('S');
      return [await capture(() => fh.sync()), await capture(() => fh.datasync())];
    }), 'ok');
  }
  await tw.same(t, 'sync on a directory handle', withHandle('dir', 'r', async (fh) =>
    [await capture(() => fh.sync()), await capture(() => fh.datasync())]), 'ok');
  await tw.same(t, 'sync ignores arguments', withHandle('f.txt', 'r', async (fh) =>
    [await capture(() => fh.sync('junk')), await capture(() => fh.datasync(42))]), 'ok');
});

t.test('fh.chmod, fh.chown, fh.utimes', async (t) => {
  const tw = twins(t, layout);
  const cases = [
    ['chmod 0o600', (fh) => fh.chmod(0o600)],
    ["chmod '640'", (fh) => fh.chmod('640')],
    ['chmod 0o4755', (fh) => fh.chmod(0o4755)],
    ['chmod invalid string', (fh) => fh.chmod('rw')],
    ['chmod -1', (fh) => fh.chmod(-1)],
    ['chmod missing', (fh) => fh.chmod()],
    ['chown self', (fh) => fh.chown(process.getuid(), process.getgid())],
    ['chown -1 -1', (fh) => fh.chown(-1, -1)],
    ['chown to 4242:4242', (fh) => fh.chown(4242, 4242)],
    ["chown '0'", (fh) => fh.chown('0', 0)],
    ['chown 2**32', (fh) => fh.chown(0, 2 ** 32)],
    ['utimes numbers', (fh) => fh.utimes(1000.25, 2000.75)],
    ['utimes Dates', (fh) => fh.utimes(new Date(1e12 + 123), new Date(1.5e12 + 456))],
    ['utimes numeric strings', (fh) => fh.utimes('1234.5', '99')],
    ['utimes bad atime', (fh) => fh.utimes('abc', 1)],
    ['utimes bad mtime', (fh) => fh.utimes(1, {})],
    ['utimes NaN', (fh) => fh.utimes(NaN, 1)],
    ['utimes Infinity', (fh) => fh.utimes(Infinity, 1)],
  ];
  for (const [label, op] of cases) {
    await tw.same(t, label, withHandle('f.txt', 'r+', async (fh) => {
      const r = await capture(() => op(fh));
      const s = await fh.stat({ bigint: true });
      const deterministic = label.startsWith('utimes') && r.outcome === 'resolve';
      return { r, stat: statsView(s, { times: deterministic ? ['atime', 'mtime'] : [] }) };
    }), 'ok');
  }
});

t.test('fh.readLines', async (t) => {
  const tw = twins(t, layout);
  const collect = (rel, opts, flags = 'r') => async (fsp, d) => {
    const fh = await fsp.open(`${d}/${rel}`, flags);
    let closeEvents = 0;
    fh.on('close', () => closeEvents++);
    const rl = await capture(() => (opts === undefined ? fh.readLines() : fh.readLines(opts)));
    if (rl.outcome === 'throw') {
      // Node 20 leaves a half-built ReadStream listening for 'close' on the handle, and that
      // listener throws inside close(); only the synchronous readLines error is compared.
      try { await fh.close(); } catch {}
      return { kind: rl.outcome, error: rl.error };
    }
    const lines = [];
    let iterError = null;
    if (rl.outcome === 'return') {
      try {
        for await (const line of rl.value) lines.push(line);
      } catch (e) { iterError = e; }
    }
    // readLines' stream closes the handle when it is done (autoClose).
    await new Promise((resolve) => setImmediate(resolve));
    // Whether the handle is still open, not which number it holds: the twins run in one
    // process, so descriptor numbers depend on what the other run left to the GC.
    const fdAfter = fh.fd === -1 ? 'closed' : 'open';
    await fh.close();
    return {
      kind: rl.outcome, ctor: rl.value && rl.value.constructor.name,
      lines: lines.length > 50 ? { n: lines.length, first: lines[0], last: lines.at(-1), digest: digest(Buffer.from(lines.join('\u0000'))) } : lines,
      iterError, fdAfter, closeEvents,
    };
  };
  await tw.same(t, 'readLines()', collect('lines.txt'), (r) => r.value.lines.length === 5);
  await tw.same(t, 'readLines() CR/LF handling', collect('crlf.txt'), 'ok');
  await tw.same(t, 'readLines() on an empty file', collect('empty'), 'ok');
  await tw.same(t, 'readLines() over 20000 lines', collect('big-lines.txt'), (r) => r.value.lines.n === 20000);
  await tw.same(t, 'readLines({encoding: latin1})', collect('lines.txt', { encoding: 'latin1' }), 'ok');
  await tw.same(t, 'readLines({start, end})', collect('lines.txt', { start: 6, end: 20 }), 'ok');
  await tw.same(t, 'readLines({autoClose: false})', collect('lines.txt', { autoClose: false }), 'ok');
  await tw.same(t, 'readLines({highWaterMark: 3})', collect('lines.txt', { highWaterMark: 3 }), 'ok');
  await tw.same(t, 'readLines({start: -1}) throws synchronously', collect('lines.txt', { start: -1 }), (r) => r.value.kind === 'throw');
  await tw.same(t, 'readLines({encoding: bogus}) throws synchronously', collect('lines.txt', { encoding: 'bogus' }), (r) => r.value.kind === 'throw');
  await tw.same(t, 'readLines on a directory', collect('dir'), 'ok');
  await tw.same(t, 'readLines on a write-only handle', collect('lines.txt', undefined, 'a'), 'ok');
});

t.test('fh.createReadStream / createWriteStream', async (t) => {
  const tw = twins(t, layout);
  await tw.same(t, 'createReadStream reads everything and closes the handle', async (fsp, d) => {
    const fh = await fsp.open(`${d}/big-lines.txt`);
    const chunks = [];
    for await (const c of fh.createReadStream({ highWaterMark: 4096 })) chunks.push(c);
    await new Promise((resolve) => setImmediate(resolve));
    return { bytes: digest(Buffer.concat(chunks)), fdAfter: fh.fd === -1 ? 'closed' : 'open' };
  }, 'ok');
  await tw.same(t, 'createWriteStream writes and closes the handle', async (fsp, d) => {
    const fh = await fsp.open(`${d}/ws.txt`, 'w');
    const ws = fh.createWriteStream();
    await new Promise((resolve, reject) => {
      ws.on('error', reject);
      ws.write('one ');
      ws.write(Buffer.from('two '));
      ws.end('three', resolve);
    });
    await new Promise((resolve) => ws.on('close', resolve));
    return { file: fs.readFileSync(`${d}/ws.txt`, 'utf8'), fdAfter: fh.fd === -1 ? 'closed' : 'open' };
  }, 'ok');
  await tw.same(t, 'readableWebStream', async (fsp, d) => {
    const fh = await fsp.open(`${d}/f.txt`);
    const chunks = [];
    for await (const c of fh.readableWebStream()) chunks.push(Buffer.from(c));
    await fh.close();
    return Buffer.concat(chunks).toString();
  }, 'ok');
});

t.test('handle-level readFile/writeFile/appendFile interplay', async (t) => {
  const tw = twins(t, layout);
  await tw.same(t, 'writeFile, then readFile continues at EOF, positional read sees data', withHandle('f.txt', 'r+', async (fh) => {
    const w = await capture(() => fh.writeFile('ABC'));
    const rest = await capture(() => fh.readFile('utf8'));
    const { bytesRead, buffer } = await fh.read(Buffer.alloc(10), 0, 10, 0);
    return { w, rest, head: buffer.toString('latin1', 0, bytesRead) };
  }), (r) => r.value.r.rest.value === '3456789');
  await tw.same(t, 'appendFile after a positional write', withHandle('f.txt', 'r+', async (fh) => {
    await fh.write('P', 5);
    return capture(() => fh.appendFile('tail'));
  }), 'ok');
  await tw.same(t, 'large writeFile then readFile via a fresh positional handle', async (fsp, d) => {
    const data = pattern(5 * 1024 * 1024 + 1, 99);
    const fh = await fsp.open(`${d}/large`, 'w+');
    await fh.writeFile(data);
    const again = await fh.readFile(); // at EOF
    await fh.close();
    const fh2 = await fsp.open(`${d}/large`, 'r');
    const back = await fh2.readFile();
    await fh2.close();
    return { again: again.length, equal: back.equals(data) };
  }, (r) => r.value.equal === true && r.value.again === 0);
  await tw.same(t, 'await using-style disposal via Symbol.asyncDispose', async (fsp, d) => {
    const fh = await fsp.open(`${d}/f.txt`);
    const closes = [];
    fh.on('close', () => closes.push('close'));
    const disposed = await capture(() => fh[Symbol.asyncDispose]());
    const after = await capture(() => fh.read());
    return { disposed, closes, fd: fh.fd, after };
  }, (r) => r.value.fd === -1 && r.value.closes.length === 1);
});

t.test('concurrent operations on one handle', async (t) => {
  const tw = twins(t, layout);
  await tw.same(t, 'stat/read/write/sync interleaved via Promise.all', withHandle('f.txt', 'r+', async (fh) => {
    const rs = await Promise.all([
      fh.read(Buffer.alloc(4), 0, 4, 0).then((r) => r.buffer.toString()),
      fh.stat().then((s) => s.size),
      fh.write('WX', 4).then((r) => r.bytesWritten), // disjoint from the reads, size unchanged
      fh.datasync().then(() => 'synced'),
      fh.read(Buffer.alloc(4), 0, 4, 6).then((r) => r.buffer.toString()),
    ]);
    return rs;
  }), (r) => r.value.file === '0123WX6789');
});
