// Argument validation: error class, code, name and exact message, and whether the error is
// thrown synchronously or delivered as a rejection (fs.promises functions always reject).
import t from 'tap';
import fs from 'node:fs';
import { twins, capture, impls } from '../helpers/twin.mjs';

const layout = { 'f.txt': 'data', dir: {} };
const label = (v) => `${typeof v === 'string' ? JSON.stringify(v) : typeof v === 'function' ? 'function' : String(v)} (${typeof v})`;

// Invalid (and borderline-valid) path values. `d` is the twin dir.
const badPaths = (d) => ({
  undefined: undefined,
  null: null,
  number: 123,
  negative: -1,
  boolean: true,
  bigint: 5n,
  symbol: Symbol('sym'),
  object: { a: 1 },
  array: ['x'],
  function: function namedFn() {},
  'empty string': '',
  'NUL in string': `${d}/f.txt\u0000tail`,
  'NUL only': '\u0000',
  'NUL in Buffer': Buffer.from('rel/f\u0000.txt'),
  'NUL in Uint8Array': new Uint8Array([47, 0, 120]),
  'Uint16Array': new Uint16Array([1, 2]),
  'ArrayBuffer': new ArrayBuffer(3),
  'DataView': new DataView(new ArrayBuffer(2)),
  'http URL': new URL('http://example.com/x'),
  'data URL': new URL('data:text/plain,hi'),
  'file URL with host': new URL(`file://remote.host${d}/f.txt`),
  'file URL localhost': new URL(`file://localhost${d}/f.txt`),
  'file URL with %2F': new URL(`file://${d}/a%2Fb`),
  'file URL with %2f': new URL(`file://${d}/a%2fb`),
  'file URL with %00': new URL(`file://${d}/a%00b`),
  'file URL valid': new URL(`file://${d}/f.txt`),
  'file URL with search+hash': new URL(`file://${d}/f.txt?query#hash`),
  'URL-like object': { href: `file://${d}/f.txt`, protocol: 'file:', pathname: `${d}/f.txt`, hostname: '', origin: 'null' },
  'URL-like object, http': { href: 'http://x/y', protocol: 'http:', pathname: '/y', hostname: 'x', origin: 'http://x' },
  'Buffer path valid': Buffer.from(`${d}/f.txt`),
  'String object': new String(`${d}/f.txt`),
});

// Every path-taking function, with otherwise-valid remaining arguments.
const pathFns = {
  stat: (f, p) => f.stat(p),
  lstat: (f, p) => f.lstat(p),
  open: (f, p) => f.open(p),
  readFile: (f, p) => f.readFile(p),
  writeFile: (f, p, d) => f.writeFile(p === undefined ? p : p, 'x'),
  appendFile: (f, p) => f.appendFile(p, 'x'),
  truncate: (f, p) => f.truncate(p),
  'rename(src)': (f, p, d) => f.rename(p, `${d}/renamed`),
  'rename(dest)': (f, p, d) => f.rename(`${d}/f.txt`, p),
  'copyFile(src)': (f, p, d) => f.copyFile(p, `${d}/copied`),
  'copyFile(dest)': (f, p, d) => f.copyFile(`${d}/f.txt`, p),
  'link(existing)': (f, p, d) => f.link(p, `${d}/linked`),
  'link(new)': (f, p, d) => f.link(`${d}/f.txt`, p),
  'symlink(target)': (f, p, d) => f.symlink(p, `${d}/sym`),
  'symlink(path)': (f, p) => f.symlink('f.txt', p),
  unlink: (f, p) => f.unlink(p),
  rmdir: (f, p) => f.rmdir(p),
  mkdir: (f, p) => f.mkdir(p),
  'mkdir recursive': (f, p) => f.mkdir(p, { recursive: true }),
  access: (f, p) => f.access(p),
  chmod: (f, p) => f.chmod(p, 0o644),
  chown: (f, p) => f.chown(p, -1, -1),
  utimes: (f, p) => f.utimes(p, 1, 1),
  readdir: (f, p) => f.readdir(p),
  readlink: (f, p) => f.readlink(p),
  realpath: (f, p) => f.realpath(p),
};

// Paths that would mutate the shared layout are only attempted on a fresh pair of twins.
t.test('invalid and unusual paths, every path-taking function', async (t) => {
  for (const [fnName, call] of Object.entries(pathFns)) {
    await t.test(fnName, async (t) => {
      const tw = twins(t, layout);
      const names = Object.keys(badPaths('/x'));
      for (const name of names) {
        tw.each((d) => {
          fs.rmSync(d, { recursive: true, force: true });
          fs.mkdirSync(d);
          fs.writeFileSync(`${d}/f.txt`, 'data');
          fs.mkdirSync(`${d}/dir`);
        });
        await tw.same(t, `${fnName}(${name})`, (fsp, d) => call(fsp, badPaths(d)[name], d),
          (r) => r.outcome === 'reject' || r.outcome === 'resolve');
      }
      tw.sameTree(t);
    });
  }
});

t.test('messages for the common cases are exactly Node\'s (pinned oracle)', async (t) => {
  const tw = twins(t, layout);
  const out = await tw.run((fsp) => fsp.stat(42));
  t.equal(out.node.error.message, 'The "path" argument must be of type string or an instance of Buffer or URL. Received type number (42)');
  t.equal(out.node.outcome, 'reject', 'fs.promises rejects, never throws');
  t.strictSame(out.shim, out.node);
  const nul = await tw.run((fsp, d) => fsp.open(`${d}/a\u0000b`));
  t.equal(nul.node.error.code, 'ERR_INVALID_ARG_VALUE');
  t.equal(nul.node.error.message, "The argument 'path' must be a string, Uint8Array, or URL without null bytes. Received '<TWIN>/a\\x00b'");
  t.strictSame(nul.shim, nul.node);
  // A file: URL *string* is just a relative path (read-only check: never create it in cwd).
  await tw.same(t, 'stat of a file: URL string is a relative path', (fsp, d) => fsp.stat(`file://${d}/f.txt`), 'ENOENT');
});

t.test('open flags and modes', async (t) => {
  const tw = twins(t, layout);
  const flags = ['', 'z', 'R', 'rw', 'r+x', ' r', 'r ', 1.5, 2 ** 31, -(2 ** 31) - 1, NaN, Infinity, {}, [], true,
    false, 0n, () => {}, Symbol('f'), new String('r'), null, undefined, 0, fs.constants.O_RDONLY];
  for (const f of flags) {
    await tw.same(t, `open flags ${label(f)}`,
      async (fsp, d) => {
        const r = await capture(() => fsp.open(`${d}/f.txt`, f));
        if (r.value) await r.value.close();
        return r;
      });
  }
  // (2 ** 31 .. 2 ** 32 - 1 pass Node's uint32 validation and then abort the process in
  // node_file.cc's IsInt32 assertion, so they cannot be used as an oracle.)
  const modes = ['', '8', '0o644', '0x1ff', '777', '-1', 'rw', ' 644', -1, 1.5, 2 ** 32, NaN, {}, [], true,
    1n, null, undefined, new String('644'), 0o644];
  for (const m of modes) {
    await tw.same(t, `open mode ${label(m)}`, async (fsp, d) => {
      const r = await capture(() => fsp.open(`${d}/m-new`, 'w', m));
      if (r.value) await r.value.close();
      const mode = fs.existsSync(`${d}/m-new`) ? fs.statSync(`${d}/m-new`).mode : null;
      fs.rmSync(`${d}/m-new`, { force: true });
      return { r, mode };
    });
  }
  for (const [fn, call] of [
    ['mkdir', (fsp, d, m) => fsp.mkdir(`${d}/newdir`, { mode: m })],
    ['chmod', (fsp, d, m) => fsp.chmod(`${d}/f.txt`, m)],
    ['writeFile', (fsp, d, m) => fsp.writeFile(`${d}/wf-new`, 'x', { mode: m })],
  ]) {
    for (const m of ['8', -1, 1.5, {}, null, '755']) {
      await tw.same(t, `${fn} mode ${label(m)}`, async (fsp, d) => {
        const r = await capture(() => call(fsp, d, m));
        fs.rmSync(`${d}/newdir`, { recursive: true, force: true });
        fs.rmSync(`${d}/wf-new`, { force: true });
        return r;
      });
    }
  }
});

t.test('options objects and encodings', async (t) => {
  const tw = twins(t, layout);
  const cases = [
    ['readFile options number', (fsp, d) => fsp.readFile(`${d}/f.txt`, 42)],
    ['readFile options true', (fsp, d) => fsp.readFile(`${d}/f.txt`, true)],
    ['readFile bad encoding string', (fsp, d) => fsp.readFile(`${d}/f.txt`, 'utf9')],
    ['readFile bad encoding in object', (fsp, d) => fsp.readFile(`${d}/f.txt`, { encoding: 'utf9' })],
    ['readFile encoding number', (fsp, d) => fsp.readFile(`${d}/f.txt`, { encoding: 8 })],
    ['readFile encoding empty string', (fsp, d) => fsp.readFile(`${d}/f.txt`, { encoding: '' })],
    ['readFile bad flag', (fsp, d) => fsp.readFile(`${d}/f.txt`, { flag: 'rw' })],
    ['readFile flag number invalid', (fsp, d) => fsp.readFile(`${d}/f.txt`, { flag: 1.5 })],
    ['readFile signal not a signal', (fsp, d) => fsp.readFile(`${d}/f.txt`, { signal: {} })],
    ['readFile signal duck-typed aborted', (fsp, d) => fsp.readFile(`${d}/f.txt`, { signal: { aborted: true } })],
    ['readFile signal duck-typed not aborted', (fsp, d) => fsp.readFile(`${d}/f.txt`, { signal: { aborted: false } })],
    ['readFile signal null', (fsp, d) => fsp.readFile(`${d}/f.txt`, { signal: null })],
    ['writeFile options number', (fsp, d) => fsp.writeFile(`${d}/w`, 'x', 42)],
    ['writeFile bad encoding', (fsp, d) => fsp.writeFile(`${d}/w`, 'x', 'utf9')],
    ['writeFile bad flag', (fsp, d) => fsp.writeFile(`${d}/w`, 'x', { flag: 'q' })],
    ['writeFile flush non-boolean', (fsp, d) => fsp.writeFile(`${d}/w`, 'x', { flush: 1 })],
    ['writeFile signal invalid', (fsp, d) => fsp.writeFile(`${d}/w`, 'x', { signal: 'no' })],
    ['writeFile data missing', (fsp, d) => fsp.writeFile(`${d}/w`)],
    ['writeFile data number', (fsp, d) => fsp.writeFile(`${d}/w`, 1)],
    ['writeFile data boolean', (fsp, d) => fsp.writeFile(`${d}/w`, false)],
    ['writeFile data symbol', (fsp, d) => fsp.writeFile(`${d}/w`, Symbol('s'))],
    ['writeFile data function', (fsp, d) => fsp.writeFile(`${d}/w`, () => {})],
    ['appendFile data null', (fsp, d) => fsp.appendFile(`${d}/w`, null)],
    ['appendFile options number', (fsp, d) => fsp.appendFile(`${d}/w`, 'x', 3)],
    ['stat options null', (fsp, d) => fsp.stat(`${d}/f.txt`, null)],
    ['lstat options null', (fsp, d) => fsp.lstat(`${d}/f.txt`, null)],
    ['mkdir recursive non-boolean', (fsp, d) => fsp.mkdir(`${d}/x`, { recursive: 1 })],
    ['mkdir options string mode', (fsp, d) => fsp.mkdir(`${d}/y`, 'abc')],
    ['rmdir options invalid', (fsp, d) => fsp.rmdir(`${d}/dir`, { recursive: 'yes' })],
    ['rmdir options not object', (fsp, d) => fsp.rmdir(`${d}/dir`, 5)],
    ['copyFile mode string', (fsp, d) => fsp.copyFile(`${d}/f.txt`, `${d}/c`, 'x')],
    ['copyFile mode 8', (fsp, d) => fsp.copyFile(`${d}/f.txt`, `${d}/c`, 8)],
    ['copyFile mode float', (fsp, d) => fsp.copyFile(`${d}/f.txt`, `${d}/c`, 1.5)],
    ['truncate len string', (fsp, d) => fsp.truncate(`${d}/f.txt`, '1')],
    ['truncate len float', (fsp, d) => fsp.truncate(`${d}/f.txt`, 0.5)],
    ['truncate len NaN', (fsp, d) => fsp.truncate(`${d}/f.txt`, NaN)],
    ['symlink bad type', (fsp, d) => fsp.symlink('f.txt', `${d}/s`, 'hard')],
    ['chown uid string', (fsp, d) => fsp.chown(`${d}/f.txt`, 'root', 0)],
    ['chown gid float', (fsp, d) => fsp.chown(`${d}/f.txt`, 0, 0.5)],
    ['chown uid missing', (fsp, d) => fsp.chown(`${d}/f.txt`)],
    ['utimes atime object', (fsp, d) => fsp.utimes(`${d}/f.txt`, {}, 1)],
    ['utimes mtime missing', (fsp, d) => fsp.utimes(`${d}/f.txt`, 1)],
    ['access mode string', (fsp, d) => fsp.access(`${d}/f.txt`, 'r')],
    ['access mode 8', (fsp, d) => fsp.access(`${d}/f.txt`, 8)],
    ['rename missing dest', (fsp, d) => fsp.rename(`${d}/f.txt`)],
    ['link missing dest', (fsp, d) => fsp.link(`${d}/f.txt`)],
    ['open no args', (fsp) => fsp.open()],
    ['lchmod (not implemented on Linux)', (fsp, d) => fsp.lchmod(`${d}/f.txt`, 0o644)],
  ];
  for (const [label, op] of cases) {
    await tw.same(t, label, async (fsp, d) => {
      const r = await capture(() => op(fsp, d));
      for (const p of ['w', 'c', 's', 'x', 'y']) fs.rmSync(`${d}/${p}`, { recursive: true, force: true });
      fs.writeFileSync(`${d}/f.txt`, 'data');
      fs.mkdirSync(`${d}/dir`, { recursive: true });
      return r;
    }, (r) => r.outcome === 'resolve');
  }
  tw.sameTree(t);
});

t.test('FileHandle method arguments: sync throw vs rejection', async (t) => {
  const tw = twins(t, layout);
  const cases = {
    'read(badType)': (fh) => fh.read(Symbol('s')),
    'read(buf, 0, 3n)': (fh) => fh.read(Buffer.alloc(4), 0, 3n, 0),
    'write(undefined)': (fh) => fh.write(),
    'writev(undefined)': (fh) => fh.writev(),
    'readv(undefined)': (fh) => fh.readv(),
    'readv([1])': (fh) => fh.readv([1]),
    'stat(null)': (fh) => fh.stat(null),
    'truncate(-0.5)': (fh) => fh.truncate(-0.5),
    'chmod({})': (fh) => fh.chmod({}),
    'chown()': (fh) => fh.chown(),
    'utimes()': (fh) => fh.utimes(),
    'readFile(42)': (fh) => fh.readFile(42),
    "readFile('utf9')": (fh) => fh.readFile('utf9'),
    'readFile({signal: 1})': (fh) => fh.readFile({ signal: 1 }),
    'writeFile(42)': (fh) => fh.writeFile(42),
    "writeFile('x', 42)": (fh) => fh.writeFile('x', 42),
    'appendFile()': (fh) => fh.appendFile(),
    'readLines({encoding: 1})': (fh) => fh.readLines({ encoding: 1 }),
    "readableWebStream({type: 5})": (fh) => fh.readableWebStream({ type: 5 }),
    'createReadStream({start: "x"})': (fh) => fh.createReadStream({ start: 'x' }),
    'createWriteStream({start: -1})': (fh) => fh.createWriteStream({ start: -1 }),
  };
  for (const [label, op] of Object.entries(cases)) {
    await tw.same(t, `fh.${label}`, async (fsp, d) => {
      const fh = await fsp.open(`${d}/f.txt`, 'r+');
      const r = await capture(() => op(fh));
      try { await fh.close(); } catch {}
      return r;
    }, (r) => r.outcome === 'resolve');
  }
});

t.test('module surface', async (t) => {
  const surface = (m) => Object.fromEntries(Object.keys(m).sort().map((k) => [k, typeof m[k] === 'function'
    ? { type: 'function', name: m[k].name, async: m[k].constructor.name } : typeof m[k]]));
  const node = surface(impls.node);
  const shim = surface(impls.shim);
  t.strictSame(Object.keys(shim), Object.keys(node), 'same export names');
  for (const k of Object.keys(node)) {
    if (k === 'default' || !shim[k]) continue;
    t.strictSame(shim[k].type ?? shim[k], node[k].type ?? node[k], `${k}: same kind of export`);
    if (node[k].type === 'function') t.equal(shim[k].name, node[k].name, `${k}: same function name`);
  }
  t.strictSame({ ...impls.shim.constants }, { ...impls.node.constants }, 'same constants');
  t.strictSame(Object.keys(impls.shim.default ?? {}).sort(), Object.keys(impls.node.default ?? {}).sort(),
    'default export has the same keys');
});

t.test('functions work detached from the module object', async (t) => {
  const tw = twins(t, layout);
  for (const fn of ['stat', 'lstat', 'readFile', 'access', 'realpath']) {
    await tw.same(t, `detached ${fn}`, (fsp, d) => {
      const f = fsp[fn];
      return f.call(undefined, `${d}/f.txt`);
    }, 'ok');
  }
  await tw.same(t, 'detached open + close', async (fsp, d) => {
    const { open } = fsp;
    const fh = await open(`${d}/f.txt`);
    const { close, read } = fh;
    const r = await capture(() => read.call(fh, Buffer.alloc(4), 0, 4, 0));
    await close();
    return { r, fd: fh.fd };
  }, 'ok');
  await tw.same(t, 'writeFile/mkdir/rename/unlink detached', async (fsp, d) => {
    const { writeFile, mkdir, rename, unlink, rmdir } = fsp;
    await mkdir(`${d}/dd`);
    await writeFile(`${d}/dd/x`, 'x');
    await rename(`${d}/dd/x`, `${d}/dd/y`);
    await unlink(`${d}/dd/y`);
    await rmdir(`${d}/dd`);
    return fs.existsSync(`${d}/dd`);
  }, (r) => r.value === false);
});
