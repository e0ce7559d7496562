// open (flag strings, numeric flags, modes), close, FileHandle lifecycle.
import t from 'tap';
import fs from 'node:fs';
import { EventEmitter } from 'node:events';
import { twins, capture, readTree } from '../helpers/twin.mjs';

const C = fs.constants;
const layout = {
  'existing.txt': '0123456789',
  dir: { 'a.txt': 'a' },
  'link': { $symlink: 'existing.txt' },
};

const FLAG_STRINGS = ['r', 'rs', 'sr', 'r+', 'rs+', 'sr+', 'w', 'wx', 'xw', 'w+', 'wx+', 'xw+',
  'a', 'ax', 'xa', 'as', 'sa', 'a+', 'ax+', 'xa+', 'as+', 'sa+'];

// Open `rel` with flags/mode, then probe what the handle can do, and what the file became.
async function probe(fsp, d, rel, flags, mode) {
  const p = `${d}/${rel}`;
  const opened = await capture(() => (mode === undefined ? fsp.open(p, flags) : fsp.open(p, flags, mode)));
  if (opened.outcome !== 'resolve') return { opened };
  const fh = opened.value;
  const fdOk = Number.isInteger(fh.fd) && fh.fd > 2;
  const read = await capture(() => fh.read(Buffer.alloc(4), 0, 4, 0));
  const write = await capture(() => fh.write('WX', null));
  const write0 = await capture(() => fh.write(Buffer.from('Y'), 0, 1, 0));
  const stat = await capture(() => fh.stat());
  const closed = await capture(() => fh.close());
  let content = null;
  try { content = fs.readFileSync(p, 'latin1'); } catch (e) { content = e.code; }
  return { opened, fdOk, read, write, write0, stat, closed, content };
}

t.test('every flag string on an existing and a missing file', async (t) => {
  const tw = twins(t, layout);
  for (const flags of FLAG_STRINGS) {
    await tw.same(t, `open existing '${flags}'`, (fsp, d) => probe(fsp, d, 'existing.txt', flags),
      flags.includes('x') ? (r) => r.value.opened.error.code === 'EEXIST' : (r) => r.value.opened.outcome === 'resolve');
    await tw.same(t, `open missing '${flags}'`, (fsp, d) => probe(fsp, d, `new-${flags}`, flags),
      flags.startsWith('r') || flags.startsWith('sr') ? (r) => r.value.opened.error.code === 'ENOENT' : (r) => r.value.opened.outcome === 'resolve');
    // Reset the existing file for the next flag.
    tw.each((d) => fs.writeFileSync(`${d}/existing.txt`, '0123456789'));
  }
  tw.sameTree(t);
});

t.test('default flags and mode', async (t) => {
  const tw = twins(t, layout);
  await tw.same(t, 'open(path)', (fsp, d) => probe(fsp, d, 'existing.txt'), (r) => r.value.write.error.code === 'EBADF');
  await tw.same(t, 'open(path, undefined, undefined)', (fsp, d) => probe(fsp, d, 'existing.txt', undefined, undefined), (r) => r.value.read.outcome === 'resolve');
  await tw.same(t, 'open(path, null)', (fsp, d) => probe(fsp, d, 'existing.txt', null), (r) => r.value.read.outcome === 'resolve');
  await tw.same(t, "open(missing, 'w') default mode 0o666 & ~umask",
    async (fsp, d) => { await (await fsp.open(`${d}/dm`, 'w')).close(); return fs.statSync(`${d}/dm`).mode; }, 'ok');
});

t.test('numeric flags', async (t) => {
  const tw = twins(t, layout);
  const cases = [
    ['O_RDONLY', 'existing.txt', C.O_RDONLY, 'ok'],
    ['O_WRONLY', 'existing.txt', C.O_WRONLY, 'ok'],
    ['O_RDWR', 'existing.txt', C.O_RDWR, 'ok'],
    ['O_RDWR|O_APPEND', 'existing.txt', C.O_RDWR | C.O_APPEND, 'ok'],
    ['O_WRONLY|O_TRUNC', 'existing.txt', C.O_WRONLY | C.O_TRUNC, 'ok'],
    ['O_WRONLY|O_CREAT missing', 'n1', C.O_WRONLY | C.O_CREAT, 'ok'],
    ['O_RDWR|O_CREAT|O_EXCL existing', 'existing.txt', C.O_RDWR | C.O_CREAT | C.O_EXCL, 'EEXIST'],
    ['O_RDWR|O_CREAT|O_EXCL missing', 'n2', C.O_RDWR | C.O_CREAT | C.O_EXCL, 'ok'],
    ['O_WRONLY missing (no O_CREAT)', 'n3', C.O_WRONLY, 'ENOENT'],
    ['O_CREAT in missing dir', 'nodir/n4', C.O_WRONLY | C.O_CREAT, 'ENOENT'],
    ['O_DIRECTORY on dir', 'dir', C.O_RDONLY | C.O_DIRECTORY, (r) => r.value.read.error.code === 'EISDIR'],
    ['O_DIRECTORY on file', 'existing.txt', C.O_RDONLY | C.O_DIRECTORY, 'ENOTDIR'],
    ['O_NOFOLLOW on symlink', 'link', C.O_RDONLY | C.O_NOFOLLOW, 'ELOOP'],
    ['O_NOFOLLOW on file', 'existing.txt', C.O_RDONLY | C.O_NOFOLLOW, 'ok'],
    ['O_WRONLY on dir', 'dir', C.O_WRONLY, 'EISDIR'],
    ['O_RDONLY on dir', 'dir', C.O_RDONLY, (r) => r.value.read.error.code === 'EISDIR'],
    ['O_SYNC|O_DSYNC|O_RDWR', 'existing.txt', C.O_SYNC | C.O_DSYNC | C.O_RDWR, 'ok'],
    ['O_NONBLOCK|O_RDONLY', 'existing.txt', C.O_NONBLOCK | C.O_RDONLY, 'ok'],
    ['O_NOATIME|O_RDONLY', 'existing.txt', C.O_NOATIME | C.O_RDONLY, 'ok'],
    ['O_CREAT|O_EXCL on dangling symlink', 'dangling', C.O_CREAT | C.O_EXCL | C.O_WRONLY, 'EEXIST'],
    ['trailing slash O_CREAT', 'newdir/', C.O_CREAT | C.O_WRONLY, 'EISDIR'],
    ['negative int32 flags', 'existing.txt', -1, (r) => !!r.value.opened],
  ];
  tw.each((d) => fs.symlinkSync('nowhere', `${d}/dangling`));
  for (const [label, rel, flags, expect] of cases) {
    const exp = typeof expect === 'function' ? expect
      : expect === 'ok' ? (r) => r.value.opened.outcome === 'resolve'
        : (r) => r.value.opened.error && r.value.opened.error.code === expect;
    await tw.same(t, `open ${label}`, (fsp, d) => probe(fsp, d, rel, flags), exp);
    tw.each((d) => fs.writeFileSync(`${d}/existing.txt`, '0123456789'));
  }
  tw.sameTree(t);
});

t.test('modes on creation', async (t) => {
  const tw = twins(t, layout);
  const modes = [0o600, 0o640, 0o777, 0o000, 0o4755, '644', '0o600', '755', 0o1777, 0];
  for (const [i, mode] of modes.entries()) {
    await tw.same(t, `open 'w' mode ${typeof mode === 'string' ? `'${mode}'` : `0o${mode.toString(8)}`}`, async (fsp, d) => {
      const r = await capture(() => fsp.open(`${d}/m${i}`, 'w', mode));
      if (r.value) await r.value.close();
      return { r, mode: fs.existsSync(`${d}/m${i}`) ? fs.statSync(`${d}/m${i}`).mode : null };
    });
  }
  await tw.same(t, 'mode is ignored for an existing file', async (fsp, d) => {
    await (await fsp.open(`${d}/existing.txt`, 'w', 0o600)).close();
    return fs.statSync(`${d}/existing.txt`).mode;
  }, (r) => (r.value & 0o777) !== 0o600);
  tw.sameTree(t);
});

t.test('close: twice, detached, fd, close event, asyncDispose', async (t) => {
  const tw = twins(t, layout);

  await tw.same(t, 'close twice resolves undefined both times', async (fsp, d) => {
    const fh = await fsp.open(`${d}/existing.txt`);
    const fdBefore = Number.isInteger(fh.fd) && fh.fd >= 0;
    const c1 = await capture(() => fh.close());
    const fdAfter = fh.fd;
    const c2 = await capture(() => fh.close());
    return { fdBefore, c1, fdAfter, c2, fdAfter2: fh.fd };
  }, (r) => r.value.fdAfter === -1 && r.value.c2.outcome === 'resolve');

  await tw.same(t, 'concurrent double close', async (fsp, d) => {
    const fh = await fsp.open(`${d}/existing.txt`);
    const [a, b] = await Promise.all([capture(() => fh.close()), capture(() => fh.close())]);
    return { a, b, fd: fh.fd };
  }, 'ok');

  await tw.same(t, 'close is an own, pre-bound property (detached call works)', async (fsp, d) => {
    const fh = await fsp.open(`${d}/existing.txt`);
    const own = Object.prototype.hasOwnProperty.call(fh, 'close');
    const { close } = fh;
    const r = await capture(() => close());
    return { own, r, fd: fh.fd };
  }, (r) => r.value.own === true && r.value.fd === -1);

  await tw.same(t, "'close' event: emitted once, synchronously inside close()", async (fsp, d) => {
    const fh = await fsp.open(`${d}/existing.txt`);
    const events = [];
    fh.on('close', (...args) => events.push(['close', args.length]));
    const p = fh.close();
    const syncCount = events.length;
    await p;
    await fh.close();
    return { syncCount, events, listenerCount: fh.listenerCount('close') };
  }, (r) => r.value.syncCount === 1 && r.value.events.length === 1);

  await tw.same(t, "'close' event via once() and asyncDispose", async (fsp, d) => {
    const fh = await fsp.open(`${d}/existing.txt`);
    let n = 0;
    fh.once('close', () => n++);
    const hasDispose = typeof fh[Symbol.asyncDispose] === 'function';
    const r = await capture(() => fh[Symbol.asyncDispose]());
    const again = await capture(() => fh[Symbol.asyncDispose]());
    return { hasDispose, r, again, n, fd: fh.fd };
  }, (r) => r.value.hasDispose && r.value.n === 1 && r.value.fd === -1);

  await tw.same(t, 'close while a read is in flight', async (fsp, d) => {
    const fh = await fsp.open(`${d}/existing.txt`);
    const readP = capture(() => fh.read(Buffer.alloc(10), 0, 10, 0));
    const closeP = capture(() => fh.close());
    const [read, close] = await Promise.all([readP, closeP]);
    return { read, close, fd: fh.fd };
  }, (r) => r.value.read.outcome === 'resolve' && r.value.read.value.bytesRead === 10);

  await tw.same(t, 'fd is a small non-negative integer while open', async (fsp, d) => {
    const fh = await fsp.open(`${d}/existing.txt`);
    const fd = fh.fd;
    const ok = Number.isInteger(fd) && fd >= 3 && fs.fstatSync(fd).size === 10;
    const stable = fh.fd === fd;
    await fh.close();
    let closedForReal;
    try { fs.fstatSync(fd); closedForReal = false; } catch (e) { closedForReal = e.code; }
    return { ok, stable, closedForReal };
  }, (r) => r.value.ok && r.value.closedForReal === 'EBADF');
});

t.test('FileHandle API surface', async (t) => {
  const tw = twins(t, layout);
  await tw.same(t, 'methods, EventEmitter mixin, symbols', async (fsp, d) => {
    const fh = await fsp.open(`${d}/existing.txt`);
    const methods = new Set();
    for (let p = Object.getPrototypeOf(fh); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      for (const k of Object.getOwnPropertyNames(p)) if (k !== 'constructor') methods.add(k);
    }
    const ctor = fh.constructor.name;
    const ee = ['on', 'once', 'off', 'emit', 'addListener', 'removeListener', 'removeAllListeners',
      'listenerCount', 'listeners', 'eventNames', 'prependListener', 'setMaxListeners'].map((m) => typeof fh[m]);
    const fdDesc = (() => {
      for (let p = fh; p; p = Object.getPrototypeOf(p)) {
        const desc = Object.getOwnPropertyDescriptor(p, 'fd');
        if (desc) return { own: p === fh, getter: typeof desc.get, setter: typeof desc.set, writable: desc.writable };
      }
      return null;
    })();
    const r = {
      ctor,
      methods: [...methods].sort(),
      ee,
      instanceofEventEmitter: fh instanceof EventEmitter,
      asyncDispose: typeof fh[Symbol.asyncDispose],
      fdDesc,
      tag: Object.prototype.toString.call(fh),
    };
    await fh.close();
    return r;
  }, 'ok');
});

t.test('operations on a closed FileHandle', async (t) => {
  const tw = twins(t, layout);
  const ops = {
    read: (fh) => fh.read(),
    readBuf: (fh) => fh.read(Buffer.alloc(4), 0, 4, 0),
    readBadArgs: (fh) => fh.read('not a buffer'),
    write: (fh) => fh.write(Buffer.from('x')),
    writeString: (fh) => fh.write('x'),
    writeBadArgs: (fh) => fh.write(12345),
    readv: (fh) => fh.readv([Buffer.alloc(2)]),
    writev: (fh) => fh.writev([Buffer.from('x')]),
    stat: (fh) => fh.stat(),
    statBigint: (fh) => fh.stat({ bigint: true }),
    truncate: (fh) => fh.truncate(1),
    sync: (fh) => fh.sync(),
    datasync: (fh) => fh.datasync(),
    readFile: (fh) => fh.readFile(),
    readFileUtf8: (fh) => fh.readFile('utf8'),
    writeFile: (fh) => fh.writeFile('x'),
    appendFile: (fh) => fh.appendFile('x'),
    chmod: (fh) => fh.chmod(0o644),
    chown: (fh) => fh.chown(0, 0),
    utimes: (fh) => fh.utimes(1, 1),
    readLines: (fh) => fh.readLines(),
    createReadStream: (fh) => fh.createReadStream(),
    readableWebStream: (fh) => fh.readableWebStream(),
    readFileViaModule: (fh, fsp) => fsp.readFile(fh),
    writeFileViaModule: (fh, fsp) => fsp.writeFile(fh, 'x'),
  };
  for (const [name, op] of Object.entries(ops)) {
    await tw.same(t, `closed handle: ${name}`, async (fsp, d) => {
      const fh = await fsp.open(`${d}/existing.txt`, 'r+');
      await fh.close();
      return capture(() => op(fh, fsp));
    }, (r) => r.value.error !== undefined);
  }
  tw.sameTree(t);
});

t.test('no fd leak across many open/close cycles', async (t) => {
  const tw = twins(t, layout);
  await tw.same(t, '200 open/close', async (fsp, d) => {
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    await (await fsp.open(`${d}/existing.txt`)).close(); // warm up lazily created resources
    const before = fds();
    for (let i = 0; i < 200; i++) await (await fsp.open(`${d}/existing.txt`)).close();
    await Promise.all(Array.from({ length: 100 }, async () => (await fsp.open(`${d}/existing.txt`)).close()));
    const failed = await Promise.allSettled(Array.from({ length: 50 }, () => fsp.open(`${d}/missing`)));
    return { leaked: fds() - before, failed: failed.map((f) => f.status) };
  }, (r) => r.value.leaked === 0);
  t.same(readTree(tw.dirs.shim), readTree(tw.dirs.node));
});
