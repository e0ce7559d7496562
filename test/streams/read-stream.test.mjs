// fs.createReadStream / fs.ReadStream: uring-shim/fs against node:fs, event by event.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { stats } from 'uring-shim';
import { impls, payload, recordEvents, same, settled, sha256, twinDirs } from '../helpers/streams.mjs';

const big = payload(1024 * 1024 + 12345, 7);
const files = { 'big.bin': big, 'small.txt': 'hello, ring\n'.repeat(100), 'empty.txt': '', 'utf8.txt': 'żółć ☃ 𝄞 '.repeat(5000), sub: null };

// Reads a stream in flowing mode to its end (or error), recording events.
async function drain(stream, log, dir, events = ['close']) {
  recordEvents(stream, log, dir);
  const done = settled(stream, events);
  stream.on('error', () => {});
  stream.resume();
  await done;
}

t.test('whole files, chunk sizes, encodings, ranges', async (t) => {
  const dirs = twinDirs(t, files);
  const cases = [
    ['big.bin', undefined],
    ['big.bin', { highWaterMark: 1000 }],
    ['big.bin', { highWaterMark: 16384 }],
    ['big.bin', { highWaterMark: 200000 }],
    ['big.bin', { start: 5, end: 70000 }],
    ['big.bin', { start: 1048576, highWaterMark: 4096 }],
    ['big.bin', { end: 0 }],
    ['big.bin', { start: 3, end: 3 }],
    ['big.bin', { start: 2000000 }],
    ['small.txt', 'utf8'],
    ['small.txt', { encoding: 'hex', highWaterMark: 100 }],
    ['utf8.txt', { encoding: 'utf8', highWaterMark: 1001 }],
    ['utf8.txt', { encoding: 'base64' }],
    ['empty.txt', undefined],
  ];
  for (const [file, options] of cases) {
    await same(t, `${file} ${JSON.stringify(options)}`, dirs, async (fs, dir, log) => {
      const s = fs.createReadStream(path.join(dir, file), options);
      log.push(['bytesRead before', s.bytesRead, 'pending', s.pending]);
      await drain(s, log, dir);
      log.push(['bytesRead', s.bytesRead, 'destroyed', s.destroyed, 'closed', s.closed]);
    });
  }
});

t.test('the data is the file', async (t) => {
  const dirs = twinDirs(t, files);
  const chunks = [];
  const s = impls.shim.createReadStream(path.join(dirs.shim, 'big.bin'), { highWaterMark: 65536 });
  for await (const chunk of s) chunks.push(chunk);
  t.equal(sha256(Buffer.concat(chunks)), sha256(big));
  t.ok(chunks.every((c) => c.buffer.byteLength === c.length), 'each chunk is its own allocation, as Node\'s');
});

t.test('errors: ENOENT, EISDIR, bad fd, bad options', async (t) => {
  const dirs = twinDirs(t, files);
  await same(t, 'ENOENT on open', dirs, (fs, dir, log) => drain(fs.createReadStream(path.join(dir, 'nope')), log, dir));
  await same(t, 'EISDIR on read', dirs, (fs, dir, log) => drain(fs.createReadStream(path.join(dir, 'sub')), log, dir));
  await same(t, 'EBADF on a closed fd', dirs, async (fs, dir, log) => {
    const fd = fs.openSync(path.join(dir, 'small.txt'));
    fs.closeSync(fd);
    await drain(fs.createReadStream(null, { fd }), log, dir);
  });
  await same(t, 'ENOENT with autoClose false', dirs, (fs, dir, log) => drain(fs.createReadStream(path.join(dir, 'nope'), { autoClose: false }), log, dir, ['error']));
  for (const bad of [{ start: -1 }, { start: 5, end: 2 }, { end: 'x' }, { fd: 'x' }, { fd: -1 }, { fd: {} }, { highWaterMark: -5 },
    { encoding: 'nope' }, { fs: { open: 5 } }, { fs: { open() {}, read: 1 } }, { signal: 'no' }, 42]) {
    await same(t, `throws for ${JSON.stringify(bad)}`, dirs, (fs, dir) => fs.createReadStream(path.join(dir, 'small.txt'), bad));
  }
  await same(t, 'throws for a bad path', dirs, (fs) => fs.createReadStream(42));
  await same(t, 'throws for a NUL in the path', dirs, (fs, dir) => fs.createReadStream(`${dir}/a\u0000b`));
});

t.test('fd option, autoClose, emitClose', async (t) => {
  const dirs = twinDirs(t, files);
  await same(t, 'fd with autoClose false leaves it open', dirs, async (fs, dir, log) => {
    const fd = fs.openSync(path.join(dir, 'small.txt'));
    await drain(fs.createReadStream(null, { fd, autoClose: false, start: 10 }), log, dir, ['end']);
    log.push(['still open', fs.fstatSync(fd).size]);
    fs.closeSync(fd);
  });
  await same(t, 'fd without start reads from the current position', dirs, async (fs, dir, log) => {
    const fd = fs.openSync(path.join(dir, 'small.txt'));
    fs.readSync(fd, Buffer.alloc(100));
    await drain(fs.createReadStream(null, { fd, highWaterMark: 300 }), log, dir);
    log.push(['closed', (() => { try { fs.fstatSync(fd); return false; } catch (e) { return e.code; } })()]);
  });
  await same(t, 'emitClose false', dirs, (fs, dir, log) => drain(fs.createReadStream(path.join(dir, 'small.txt'), { emitClose: false }), log, dir, ['end']));
  await same(t, 'autoClose set after construction', dirs, async (fs, dir, log) => {
    const s = fs.createReadStream(path.join(dir, 'small.txt'));
    s.autoClose = false;
    log.push(['autoClose', s.autoClose]);
    await drain(s, log, dir, ['end']);
    s.close();
    await settled(s);
  });
});

t.test('destroy, close, signal', async (t) => {
  const dirs = twinDirs(t, files);
  await same(t, 'destroy after the first chunk', dirs, async (fs, dir, log) => {
    const s = fs.createReadStream(path.join(dir, 'big.bin'), { highWaterMark: 1000 });
    s.once('data', () => s.destroy());
    await drain(s, log, dir);
  });
  await same(t, 'destroy with an error before open', dirs, async (fs, dir, log) => {
    const s = fs.createReadStream(path.join(dir, 'big.bin'));
    s.destroy(new Error('boom'));
    await drain(s, log, dir);
  });
  await same(t, 'close(cb) mid-read', dirs, async (fs, dir, log) => {
    const s = fs.createReadStream(path.join(dir, 'big.bin'));
    recordEvents(s, log, dir);
    await new Promise((resolve) => s.once('data', () => s.close((err) => { log.push(['close cb', err ?? null]); resolve(); })));
  });
  await same(t, 'signal aborted mid-read', dirs, async (fs, dir, log) => {
    const ac = new AbortController();
    const s = fs.createReadStream(path.join(dir, 'big.bin'), { signal: ac.signal, highWaterMark: 4096 });
    s.once('data', () => ac.abort());
    await drain(s, log, dir);
  });
  // The open still completes (after 'close'), in Node as here.
  await same(t, 'signal aborted before', dirs, (fs, dir, log) => drain(fs.createReadStream(path.join(dir, 'big.bin'), { signal: AbortSignal.abort('why') }), log, dir, ['close', 'ready']));
  await same(t, 'paused stream, read(n)', dirs, async (fs, dir, log) => {
    const s = fs.createReadStream(path.join(dir, 'small.txt'), { highWaterMark: 64 });
    recordEvents(s, log, dir);
    await new Promise((resolve) => s.once('readable', resolve));
    log.push(['read(10)', s.read(10).toString()]);
    s.destroy();
    await settled(s);
  });
});

t.test('classes', async (t) => {
  const dirs = twinDirs(t, files);
  const { ReadStream, createReadStream } = impls.shim;
  const s = createReadStream(path.join(dirs.shim, 'small.txt'));
  t.ok(s instanceof fs.ReadStream, 'instanceof Node\'s ReadStream');
  t.ok(s instanceof ReadStream);
  t.equal(ReadStream.name, 'ReadStream');
  const called = ReadStream(path.join(dirs.shim, 'small.txt'));
  t.ok(called instanceof ReadStream, 'callable without new, as Node\'s');
  const chunks = [];
  for await (const c of called) chunks.push(c);
  t.equal(Buffer.concat(chunks).toString(), files['small.txt']);
  s.destroy();
  t.equal(impls.shim.FileReadStream, ReadStream);
});

t.test('a user fs option or a patched fs.read is called, as by Node', async (t) => {
  const dirs = twinDirs(t, files);
  await same(t, 'fs option', dirs, async (fs, dir, log) => {
    const calls = [];
    const custom = {
      open: (...a) => { calls.push('open'); return fs.open(...a); },
      read: (...a) => { calls.push('read'); return fs.read(...a); },
      close: (...a) => { calls.push('close'); return fs.close(...a); },
    };
    await drain(fs.createReadStream(path.join(dir, 'small.txt'), { fs: custom, highWaterMark: 500 }), log, dir);
    log.push(calls);
  });
  await same(t, 'patched fs.read sees the stream\'s own calls', dirs, async (fsImpl, dir, log) => {
    // Node's streams look fs.read up on the fs module; so does the shim's.
    const calls = [];
    const original = fs.read;
    fs.read = function (...args) { calls.push(args[3]); return Reflect.apply(original, this, args); };
    try {
      const s = fsImpl === fs ? fs.createReadStream(path.join(dir, 'small.txt'), { highWaterMark: 512 })
        : new impls.shim.ReadStream(path.join(dir, 'small.txt'), { highWaterMark: 512 });
      await drain(s, log, dir);
    } finally {
      fs.read = original;
    }
    log.push(calls);
  });
});

t.test('a FIFO: reads at the current position (-1)', async (t) => {
  const dirs = twinDirs(t, {});
  await same(t, 'fifo', dirs, async (fs, dir, log) => {
    const fifo = path.join(dir, 'fifo');
    const { spawnSync, spawn } = await import('node:child_process');
    spawnSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `printf 'one-two-three' > ${fifo}`]);
    const exited = new Promise((resolve) => writer.on('exit', resolve));
    const chunks = [];
    const s = fs.createReadStream(fifo);
    recordEvents(s, log, dir);
    for await (const c of s) chunks.push(c);
    log.push(Buffer.concat(chunks).toString());
    await exited;
  });
});

t.test('the ring carries the reads', async (t) => {
  const dirs = twinDirs(t, files);
  const before = stats();
  if (before.backend !== 'io_uring') return t.skip(`backend ${before.backend}: ${before.fallbackReason}`);
  const s = impls.shim.createReadStream(path.join(dirs.shim, 'big.bin'), { highWaterMark: 65536 });
  for await (const c of s) void c;
  const after = stats();
  const n = (k) => (after.ring[k] ?? 0) - (before.ring[k] ?? 0);
  t.equal(n('ReadStream.open'), 1);
  t.equal(n('ReadStream.read'), Math.ceil(big.length / 65536) + 1, 'one ring read per chunk, plus the one that sees EOF');
  t.equal(n('ReadStream.close'), 1);
  t.same(after.delegated, before.delegated, 'nothing delegated');
});
