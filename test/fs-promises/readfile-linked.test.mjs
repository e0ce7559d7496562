// readFile of a path reads a regular file of known size with its close linked behind the read.
// These cases sit on the edges of that path: the size limit, files that are not regular, files
// that change size, flags that create or truncate, and cancellation while the linked pair is
// still queued in the shim's backlog (more requests than the CQ holds).
import t from 'tap';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as nodeFsp from 'node:fs/promises';
import { twins, pattern, fdCount, capture } from '../helpers/twin.mjs';
import * as shimFsp from 'uring-shim/fs/promises';
import { stats } from 'uring-shim';

const linkedMax = 4 * 1024 * 1024;
const ringOn = stats().backend === 'io_uring';
const sizes = [1, 4096, 16 * 1024 + 1, linkedMax, linkedMax + 1];

t.test('sizes around the linked-read limit, flags, and files that are not plain', async (t) => {
  const tw = twins(t, (d) => {
    for (const size of sizes) fs.writeFileSync(`${d}/f${size}`, pattern(size, size));
    fs.writeFileSync(`${d}/empty`, '');
    fs.mkdirSync(`${d}/dir`);
    fs.symlinkSync(`${d}/f4096`, `${d}/link`);
    fs.symlinkSync(`${d}/nowhere`, `${d}/dangling`);
  });
  for (const size of sizes) {
    await tw.same(t, `${size} bytes`, (fsp, d) => fsp.readFile(`${d}/f${size}`), 'ok');
    await tw.same(t, `${size} bytes as latin1`, (fsp, d) => fsp.readFile(`${d}/f${size}`, 'latin1'), 'ok');
  }
  await tw.same(t, 'empty file', (fsp, d) => fsp.readFile(`${d}/empty`), 'ok');
  await tw.same(t, 'through a symlink', (fsp, d) => fsp.readFile(`${d}/link`), 'ok');
  await tw.same(t, 'dangling symlink', (fsp, d) => fsp.readFile(`${d}/dangling`), 'ENOENT');
  await tw.same(t, 'directory', (fsp, d) => fsp.readFile(`${d}/dir`), 'EISDIR');
  await tw.same(t, '/proc file (size 0, read to the end)', (fsp) => fsp.readFile('/proc/self/mounts').then((b) => b.length > 0), 'ok');
  await tw.same(t, "flag 'w+' truncates before reading", (fsp, d) => fsp.readFile(`${d}/f4096`, { flag: 'w+' }), 'ok');
  await tw.same(t, "flag 'a+' creates", (fsp, d) => fsp.readFile(`${d}/created`, { flag: 'a+' }), 'ok');
  await tw.same(t, "flag 'w' (write-only) fails in read", (fsp, d) => fsp.readFile(`${d}/f1`, { flag: 'w' }), 'EBADF');
  await tw.same(t, "flag 'wx' on an existing file", (fsp, d) => fsp.readFile(`${d}/f1`, { flag: 'wx' }), 'EEXIST');
  tw.sameTree(t);
});

// What a faster path could get wrong without a wrong byte: Node's result owns an ArrayBuffer of
// exactly the file's length (allocUnsafeSlow(size)), at offset 0, that a transfer detaches. A
// Buffer read into a guessed size and cut, or one wrapping native memory (Node marks those
// untransferable: a transfer copies them), differs here. Sizes sit on each side of the limits
// a guess would have: the 16 KiB arena slot and Node's 64 KiB unknown-size chunk.
t.test('the result owns exactly its bytes, in an ArrayBuffer that transfers', async (t) => {
  const shapeSizes = [1, 4095, 4096, 4097, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, linkedMax + 1];
  const tw = twins(t, (d) => {
    for (const size of shapeSizes) fs.writeFileSync(`${d}/f${size}`, pattern(size, size + 3));
  });
  const shape = (b) => {
    const ab = b.buffer;
    const before = { length: b.length, byteOffset: b.byteOffset, arrayBufferLength: ab.byteLength };
    const moved = structuredClone(ab, { transfer: [ab] });
    return { ...before, afterTransfer: ab.byteLength, moved: moved.byteLength };
  };
  for (const size of shapeSizes) {
    await tw.same(t, `${size} bytes`, (fsp, d) => fsp.readFile(`${d}/f${size}`).then(shape), 'ok');
  }
});

// A FIFO cannot be read twice: whatever a path reads before it knows what kind of file it has
// must be part of the result. More than a pipe's buffer and more than one 64 KiB read.
t.test('a FIFO longer than one read: every byte, once', async (t) => {
  const content = pattern(200 * 1024 + 7, 11);
  const tw = twins(t, (d) => execFileSync('mkfifo', [`${d}/fifo`]));
  await tw.same(t, 'FIFO', async (fsp, d) => {
    // Node's writer (threadpool) and the reader under test each wait in open for the other.
    const writing = nodeFsp.writeFile(`${d}/fifo`, content);
    const data = await fsp.readFile(`${d}/fifo`);
    await writing;
    return { length: data.length, same: data.equals(content) };
  }, (rec) => rec.outcome === 'resolve' && rec.value.same === true);
});

t.test('a file that grows or shrinks while many readers read it', async (t) => {
  const dir = fs.mkdtempSync('/tmp/uring-linked-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = `${dir}/changing`;
  const full = pattern(64 * 1024, 7);
  fs.writeFileSync(file, full);
  const before = fdCount();
  const reads = [];
  for (let i = 0; i < 200; i++) {
    reads.push(shimFsp.readFile(file));
    if (i % 20 === 0) fs.truncateSync(file, (i * 997) % full.length);
    if (i % 20 === 10) fs.writeFileSync(file, full);
  }
  const results = await Promise.all(reads);
  // Whatever moment a read saw, it saw a prefix of the same content, never stale or foreign bytes.
  const prefixes = results.filter((b) => full.subarray(0, b.length).equals(b));
  t.equal(prefixes.length, results.length, 'every result is a prefix of the file content');
  t.equal(fdCount(), before, 'every descriptor closed');
});

t.test('cancelled while queued behind more requests than the ring holds', async (t) => {
  const dir = fs.mkdtempSync('/tmp/uring-linked-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = 64;
  for (let i = 0; i < files; i++) fs.writeFileSync(`${dir}/${i}`, pattern(512 + i, i + 1));
  await shimFsp.readFile(`${dir}/0`);
  const before = fdCount();
  for (const abortAfter of [0, 1, 5, 40]) {
    const controller = new AbortController();
    const count = 6000;  // beyond the 4096-entry CQ budget: the tail waits in the backlog
    let settled = 0;
    const reads = Array.from({ length: count }, (_, i) => capture(() => shimFsp.readFile(`${dir}/${i % files}`, { signal: controller.signal }))
      .finally(() => { if (++settled === abortAfter) controller.abort(); }));
    if (abortAfter === 0) setImmediate(() => controller.abort());
    const results = await Promise.all(reads);
    const wrong = results.filter((r, i) => r.error
      ? r.error.name !== 'AbortError'
      : !r.value.equals(pattern(512 + (i % files), (i % files) + 1)));
    t.equal(wrong.length, 0, `abort after ${abortAfter} settled: every read has its file's bytes or an AbortError`);
    // Node checks the signal only between steps, so without a ring every read may finish first.
    if (ringOn) t.ok(results.some((r) => r.error), `abort after ${abortAfter} settled: some reads were cancelled`);
    t.equal(fdCount(), before, `abort after ${abortAfter} settled: every descriptor closed, cancelled or not`);
  }
  t.equal(stats().inFlight, 0, 'nothing left in flight');
});
