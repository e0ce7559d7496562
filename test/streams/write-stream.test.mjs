// fs.createWriteStream / fs.WriteStream: uring-shim/fs against node:fs, event by event and byte
// by byte.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { stats } from 'uring-shim';
import { impls, payload, recordEvents, same, settled, sha256, twinDirs } from '../helpers/streams.mjs';

const files = { 'existing.txt': '0123456789abcdefghij', sub: null };

// Writes `chunks` honouring backpressure, then ends; records events, write callbacks, result.
async function writeAll(stream, chunks, log, dir, events = ['close']) {
  recordEvents(stream, log, dir);
  stream.on('error', () => {});
  const done = settled(stream, events);
  for (const [i, chunk] of chunks.entries()) {
    const more = stream.write(chunk, (err) => log.push(['write cb', i, err ? err.code ?? err.message : null]));
    if (!more && !stream.destroyed) await new Promise((resolve) => { stream.once('drain', resolve); stream.once('close', resolve); });
  }
  stream.end();
  await done;
}

function fileView(file) {
  try {
    const b = fs.readFileSync(file);
    return { bytes: b.length, sha256: sha256(b) };
  } catch (e) {
    return e.code;
  }
}

t.test('chunks of every size, strings, encodings, flags, start', async (t) => {
  const dirs = twinDirs(t, files);
  const big = payload(200000, 3);
  const cases = [
    ['small', [Buffer.from('hello '), 'world', Buffer.alloc(0), 'ż☃'], undefined],
    ['16 KiB and around', [payload(16383), payload(16384), payload(16385)], undefined],
    ['large chunks', [big, big.subarray(7, 150007), payload(1 << 20, 9)], undefined],
    ['hwm 1', ['a', 'b', 'c'], { highWaterMark: 1 }],
    ['encoding option', ['68656c6c6f', '21'], { encoding: 'hex' }],
    ['default encoding', ['aGVsbG8='], 'base64'],
    ['append', ['++'], { flags: 'a' }],
    ['r+ at start', ['XY'], { flags: 'r+', start: 3 }],
    ['start beyond the end', ['Z'], { flags: 'r+', start: 30 }],
    ['mode', ['m'], { mode: 0o600 }],
  ];
  for (const [name, chunks, options] of cases) {
    await same(t, name, dirs, async (fs, dir, log) => {
      const file = path.join(dir, name.includes('+') || name.includes('append') || name.includes('beyond') ? 'existing.txt' : `${name}.out`);
      const s = fs.createWriteStream(file, options);
      await writeAll(s, chunks, log, dir);
      log.push(['bytesWritten', s.bytesWritten, 'file', fileView(file), 'mode', (fs.statSync(file).mode & 0o777).toString(8)]);
    });
  }
});

t.test('write callbacks run when the data is in the file', async (t) => {
  const dirs = twinDirs(t, {});
  const file = path.join(dirs.shim, 'cb.out');
  const s = impls.shim.createWriteStream(file);
  const chunk = payload(100000);
  for (let i = 1; i <= 3; i++) {
    await new Promise((resolve) => s.write(chunk, resolve));
    t.equal(fs.statSync(file).size, i * chunk.length, `after write ${i}`);
  }
  // The chunk may be reused at once: the file has what was written at the time of the call.
  const reused = Buffer.from('aaaa');
  s.write(reused);
  reused.fill('b');
  await new Promise((resolve) => s.end(resolve));
  t.equal(fs.readFileSync(file).subarray(-4).toString(), 'aaaa');
});

t.test('cork: buffered chunks go out in one writev', async (t) => {
  const dirs = twinDirs(t, {});
  await same(t, 'cork/uncork', dirs, async (fs, dir, log) => {
    const file = path.join(dir, 'corked.out');
    const s = fs.createWriteStream(file);
    recordEvents(s, log, dir);
    s.cork();
    for (let i = 0; i < 5; i++) s.write(`chunk ${i};`, () => log.push(['cb', i]));
    s.write(payload(40000));
    process.nextTick(() => s.uncork());
    await new Promise((resolve) => s.end(resolve));
    await settled(s);
    log.push(fileView(file));
  });
  const before = stats();
  if (before.backend === 'io_uring') {
    const s = impls.shim.createWriteStream(path.join(dirs.shim, 'count.out'));
    s.cork();
    s.write('a');
    s.write('b');
    s.uncork();
    await new Promise((resolve) => s.end(resolve));
    t.equal((stats().ring['WriteStream.writev'] ?? 0) - (before.ring['WriteStream.writev'] ?? 0), 1, 'one ring writev');
  }
});

t.test('errors', async (t) => {
  const dirs = twinDirs(t, files);
  await same(t, 'ENOENT (missing directory)', dirs, (fs, dir, log) => writeAll(fs.createWriteStream(path.join(dir, 'no/such/file')), ['x'], log, dir));
  await same(t, 'EISDIR', dirs, (fs, dir, log) => writeAll(fs.createWriteStream(path.join(dir, 'sub')), ['x'], log, dir));
  await same(t, 'EEXIST with wx', dirs, (fs, dir, log) => writeAll(fs.createWriteStream(path.join(dir, 'existing.txt'), { flags: 'wx' }), ['x'], log, dir));
  await same(t, 'EBADF: read-only fd', dirs, async (fs, dir, log) => {
    const fd = fs.openSync(path.join(dir, 'existing.txt'), 'r');
    await writeAll(fs.createWriteStream(null, { fd }), ['x'], log, dir);
  });
  await same(t, 'EBADF: closed fd', dirs, async (fs, dir, log) => {
    const fd = fs.openSync(path.join(dir, 'existing.txt'), 'r+');
    fs.closeSync(fd);
    await writeAll(fs.createWriteStream(null, { fd }), ['x', 'y'], log, dir);
  });
  for (const bad of [{ start: -1 }, { flush: 'yes' }, { fd: 1.5 }, { fs: { open() {}, close() {} } }, { fs: { open() {}, write: 3, close() {} } },
    { fs: { open() {}, write() {}, close() {} }, flush: true }, { encoding: 'nope' }, { flags: 'q' }, 7]) {
    await same(t, `bad options ${JSON.stringify(bad)}`, dirs, async (fs, dir, log) => {
      const s = fs.createWriteStream(path.join(dir, 'bad.out'), bad);
      await writeAll(s, ['x'], log, dir);
    });
  }
  await same(t, 'write after end', dirs, async (fs, dir, log) => {
    const s = fs.createWriteStream(path.join(dir, 'late.out'));
    recordEvents(s, log, dir);
    s.on('error', () => {});
    s.end('a');
    s.write('b', (err) => log.push(['cb', err?.code]));
    await settled(s);
  });
});

t.test('flush, autoClose, emitClose, destroy, signal', async (t) => {
  const dirs = twinDirs(t, files);
  await same(t, 'flush: true', dirs, async (fs, dir, log) => {
    const file = path.join(dir, 'flushed.out');
    await writeAll(fs.createWriteStream(file, { flush: true }), ['data'], log, dir);
    log.push(fileView(file));
  });
  await same(t, 'fd with autoClose false', dirs, async (fs, dir, log) => {
    const fd = fs.openSync(path.join(dir, 'existing.txt'), 'r+');
    await writeAll(fs.createWriteStream(null, { fd, autoClose: false, start: 2 }), ['AB'], log, dir, ['finish']);
    log.push(['still open', fs.fstatSync(fd).size]);
    fs.writeSync(fd, 'tail');
    fs.closeSync(fd);
    log.push(fs.readFileSync(path.join(dir, 'existing.txt'), 'utf8'));
  });
  await same(t, 'emitClose false', dirs, async (fs, dir, log) => writeAll(fs.createWriteStream(path.join(dir, 'ec.out'), { emitClose: false }), ['x'], log, dir, ['finish']));
  await same(t, 'close() ends the stream', dirs, async (fs, dir, log) => {
    const file = path.join(dir, 'closed.out');
    const s = fs.createWriteStream(file);
    recordEvents(s, log, dir);
    s.write('abc');
    await new Promise((resolve) => s.close((err) => { log.push(['close cb', err ?? null]); resolve(); }));
    log.push(fileView(file));
  });
  await same(t, 'destroy during a write', dirs, async (fs, dir, log) => {
    const s = fs.createWriteStream(path.join(dir, 'destroyed.out'));
    recordEvents(s, log, dir);
    s.on('error', () => {});
    s.once('open', () => { s.write(payload(50000), (err) => log.push(['cb', err?.code ?? null])); s.destroy(new Error('stop')); });
    await settled(s);
  });
  await same(t, 'signal aborted during writes', dirs, async (fs, dir, log) => {
    const ac = new AbortController();
    const s = fs.createWriteStream(path.join(dir, 'aborted.out'), { signal: ac.signal });
    s.once('ready', () => ac.abort());
    await writeAll(s, ['a', 'b', 'c'], log, dir);
  });
});

t.test('a user fs option or a patched fs.write is called, as by Node', async (t) => {
  const dirs = twinDirs(t, {});
  await same(t, 'fs option with write only', dirs, async (fs, dir, log) => {
    const calls = [];
    const custom = {
      open: (...a) => { calls.push('open'); return fs.open(...a); },
      write: (...a) => { calls.push(['write', a[3]]); return fs.write(...a); },
      close: (...a) => { calls.push('close'); return fs.close(...a); },
    };
    const file = path.join(dir, 'custom.out');
    const s = fs.createWriteStream(file, { fs: custom });
    s.cork();
    await writeAll(s, ['one', 'two', 'three'], log, dir);
    log.push(calls, fileView(file));
  });
  await same(t, 'fs option with writev only', dirs, async (fs, dir, log) => {
    const calls = [];
    const custom = { open: fs.open, writev: (...a) => { calls.push(a[1].length); return fs.writev(...a); }, close: fs.close };
    const file = path.join(dir, 'custom-v.out');
    await writeAll(fs.createWriteStream(file, { fs: custom }), ['a', 'b'], log, dir);
    log.push(calls, fileView(file));
  });
  await same(t, 'an EAGAIN from a user write is retried', dirs, async (fs, dir, log) => {
    let first = true;
    const write = (fd, buffer, offset, length, position, cb) => {
      if (first) { first = false; return cb(Object.assign(new Error('again'), { code: 'EAGAIN' }), 0, buffer); }
      return fs.write(fd, buffer, offset, length, position, cb);
    };
    const file = path.join(dir, 'eagain.out');
    await writeAll(fs.createWriteStream(file, { fs: { open: fs.open, write, close: fs.close } }), ['foo'], log, dir);
    log.push(fileView(file));
  });
  await same(t, 'patched fs.open and fs.close on the module', dirs, async (fsImpl, dir, log) => {
    const calls = [];
    const { open, close } = fs;
    fs.open = function (...args) { calls.push('open'); return Reflect.apply(open, this, args); };
    fs.close = function (...args) { calls.push('close'); return Reflect.apply(close, this, args); };
    try {
      const s = fsImpl === fs ? fs.createWriteStream(path.join(dir, 'patched.out')) : new impls.shim.WriteStream(path.join(dir, 'patched.out'));
      await writeAll(s, ['x'], log, dir);
    } finally {
      Object.assign(fs, { open, close });
    }
    log.push(calls);
  });
});

t.test('classes and FileHandle streams', async (t) => {
  const dirs = twinDirs(t, {});
  const { WriteStream, createWriteStream } = impls.shim;
  const s = createWriteStream(path.join(dirs.shim, 'c.out'));
  t.ok(s instanceof fs.WriteStream, 'instanceof Node\'s WriteStream');
  t.ok(WriteStream(path.join(dirs.shim, 'd.out')) instanceof WriteStream, 'callable without new');
  s.destroy();
  t.equal(impls.shim.FileWriteStream, WriteStream);
  await same(t, 'FileHandle.createWriteStream then createReadStream', dirs, async (fs, dir, log) => {
    const file = path.join(dir, 'fh.out');
    const wh = await fs.promises.open(file, 'w');
    const ws = wh.createWriteStream({ highWaterMark: 10 });
    log.push(['instanceof', ws instanceof fs.WriteStream]);
    await writeAll(ws, ['abc', payload(70000)], log, dir);
    log.push(['handle closed', wh.fd]);
    const rh = await fs.promises.open(file);
    const rs = rh.createReadStream({ start: 1, end: 40000, highWaterMark: 16384 });
    log.push(['instanceof', rs instanceof fs.ReadStream]);
    recordEvents(rs, log, dir);
    rs.resume();
    await settled(rs);
    log.push(['handle closed', rh.fd]);
  });
  await same(t, 'closing the FileHandle closes the stream', dirs, async (fs, dir, log) => {
    const fh = await fs.promises.open(path.join(dir, 'fh.out'), 'w');
    const ws = fh.createWriteStream({ autoClose: false });
    recordEvents(ws, log, dir);
    await new Promise((resolve) => ws.write('x', resolve));
    const closed = settled(ws);
    await fh.close();
    await closed;
  });
});

t.test('the ring carries the writes', async (t) => {
  const dirs = twinDirs(t, {});
  const before = stats();
  if (before.backend !== 'io_uring') return t.skip(`backend ${before.backend}: ${before.fallbackReason}`);
  const s = impls.shim.createWriteStream(path.join(dirs.shim, 'ring.out'), { flush: true });
  for (let i = 0; i < 10; i++) await new Promise((resolve) => s.write(payload(30000, i + 1), resolve));
  await new Promise((resolve) => s.end(resolve));
  await settled(s);
  const after = stats();
  const n = (k) => (after.ring[k] ?? 0) - (before.ring[k] ?? 0);
  t.strictSame([n('WriteStream.open'), n('WriteStream.write'), n('WriteStream.fsync'), n('WriteStream.close')], [1, 10, 1, 1]);
  t.same(after.delegated, before.delegated, 'nothing delegated');
});
