// Differential-testing helper: Node's own fs.promises is the oracle, uring-shim/fs/promises
// is the implementation under test. Every operation runs against both, each in its own twin
// directory (same relative layout), and the results are normalised so that they can be
// compared with t.strictSame.
//
//   const tw = twins(t, { 'f.txt': 'hello', sub: { 'x': '' }, link: { $symlink: 'f.txt' } });
//   await tw.same(t, 'stat a file', (fsp, dir) => fsp.stat(`${dir}/f.txt`));
//
// Set TWIN_SHIM_MODULE=<specifier or file URL> to run the suite against another
// implementation (used to check that the suite catches deliberately broken shims).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { pathToFileURL } from 'node:url';
import * as nodeFsp from 'node:fs/promises';
import * as shimFsp from 'uring-shim/fs/promises';
import shimFs from 'uring-shim/fs';

// The oracle must be Node's own implementation. `uring-shim/register` installs the shim over
// node:fs/promises in place; under it every comparison here would be the shim against itself.
const registered = Symbol.for('uring-shim.registered');
if (nodeFsp[registered] || nodeFsp.default?.[registered] ||
    /uring-shim\/register/.test(`${process.env.NODE_OPTIONS || ''} ${process.execArgv.join(' ')}`)) {
  throw new Error('twin.mjs: node:fs/promises has been replaced by uring-shim/register; ' +
    'the differential tests need the unpatched module as their oracle');
}

const override = process.env.TWIN_SHIM_MODULE;
const shimImpl = override
  ? await import(override.startsWith('/') ? pathToFileURL(override).href : override)
  : shimFsp;

/** The two implementations, in the order they are run. */
export const impls = { node: nodeFsp, shim: shimImpl };
// For the few oracle expectations that differ between the Node versions the tests run on.
export const nodeMajor = Number(process.versions.node.split('.')[0]);
/** The callback APIs: node:fs and uring-shim/fs (TWIN_SHIM_FS_MODULE overrides the latter). */
const overrideFs = process.env.TWIN_SHIM_FS_MODULE;
export const callbackImpls = {
  node: fs,
  shim: overrideFs
    ? (await import(overrideFs.startsWith('/') ? pathToFileURL(overrideFs).href : overrideFs)).default
    : shimFs,
};
export const NAMES = ['node', 'shim'];

const REC = Symbol('twin.record');
const TWIN = '<TWIN>';

// ---------------------------------------------------------------------------------------------
// capture: run fn() and record *how* it completed: threw synchronously, returned a non-promise,
// resolved or rejected. The result is a raw record; normalise() makes it comparable.
export async function capture(fn) {
  let ret;
  try {
    ret = fn();
  } catch (error) {
    return { [REC]: true, outcome: 'throw', error };
  }
  if (ret === null || (typeof ret !== 'object' && typeof ret !== 'function') ||
      typeof ret.then !== 'function') {
    return { [REC]: true, outcome: 'return', value: ret };
  }
  const promise = ret instanceof Promise ? 'Promise' : 'thenable';
  try {
    const value = await ret;
    return { [REC]: true, outcome: 'resolve', promise, value };
  } catch (error) {
    return { [REC]: true, outcome: 'reject', promise, error };
  }
}

/**
 * captureCallback: run fn(cb) for a Node-style callback API and record how it completed: threw
 * synchronously, or called cb -- whether synchronously, with which `this`, how many arguments,
 * the error and the values. Resolves once cb has been called (a call that never calls back
 * hangs the test, which tap's timeout reports). A second call of cb is recorded as `calledAgain`.
 */
export async function captureCallback(fn) {
  let returned = false;
  let calls = 0;
  let settle;
  const done = new Promise((resolve) => { settle = resolve; });
  let ret;
  try {
    ret = fn(function callback(...args) {
      calls++;
      settle({ args, sync: !returned, thisValue: this === undefined ? 'undefined' : typeof this });
    });
  } catch (error) {
    return { [REC]: true, outcome: 'throw', error };
  }
  returned = true;
  const { args, sync, thisValue } = await done;
  // Let a stray second call show up before the record is taken.
  await new Promise((resolve) => setImmediate(resolve));
  return {
    [REC]: true, outcome: 'callback', sync, thisValue, arity: args.length, returned: ret,
    calledAgain: calls > 1, cbError: args[0], values: args.slice(1),
  };
}

// ---------------------------------------------------------------------------------------------
// Normalisation.

function protoName(v) {
  const p = Object.getPrototypeOf(v);
  if (p === null) return 'null';
  return (p.constructor && p.constructor.name) || '<anonymous>';
}

function bytesOf(view) {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

// A view whose ArrayBuffer was transferred away: no bytes to compare, only that fact.
function isDetached(view) {
  try {
    new Uint8Array(view.buffer);
    return false;
  } catch {
    return true;
  }
}

export function digest(bytes) {
  const b = Buffer.isBuffer(bytes) ? bytes : bytesOf(bytes);
  if (b.length <= 256) return b.toString('hex');
  return `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;
}

// Bytes that spell out the twin directory (e.g. readlink(..., 'buffer')) are normalised too.
function normBytes(b, dir) {
  if (!dir || !b.includes(dir)) return b;
  return Buffer.from(b.toString('latin1').split(dir).join(TWIN), 'latin1');
}

function normString(s, dir) {
  if (!dir) return s;
  return s.split(dir).join(TWIN);
}

function normPath(p, dir) {
  if (typeof p !== 'string') return normalise(p, dir);
  if (dir && (p === dir || p.startsWith(dir + '/'))) {
    return path.join(TWIN, path.relative(dir, p));
  }
  return normString(p, dir);
}

function typeTag(v) {
  if (v instanceof Date) return 'Date';
  if (v === null) return 'null';
  return typeof v;
}

const STAT_CHECKS = ['isFile', 'isDirectory', 'isSymbolicLink', 'isFIFO', 'isSocket',
  'isBlockDevice', 'isCharacterDevice'];
const STAT_TIMES = ['atime', 'mtime', 'ctime', 'birthtime'];

function isStatsLike(v) {
  return v && typeof v === 'object' && typeof v.isFile === 'function' &&
    typeof v.isDirectory === 'function' && 'mode' in v && 'size' in v;
}

/**
 * Comparable view of a Stats / BigIntStats object. Fields that legitimately differ between
 * twin files (ino, blocks, a/m/c/birth times) are reduced to their types; with
 * { times: ['mtime', ...] } the named time fields (…Ms, …Ns and the Date) are compared too.
 */
export function statsView(s, opts = {}) {
  const keys = Object.keys(s);
  const view = {
    $stats: protoName(s),
    instanceofFsStats: s instanceof fs.Stats,
    keys,
    types: Object.fromEntries(keys.map((k) => [k, typeTag(s[k])])),
    checks: Object.fromEntries(STAT_CHECKS.map((m) => [m, typeof s[m] === 'function' ? s[m]() : '<missing>'])),
    dev: s.dev,
    mode: s.mode,
    nlink: s.nlink,
    uid: s.uid,
    gid: s.gid,
    rdev: s.rdev,
    size: s.size,
    blksize: s.blksize,
  };
  // Internal consistency, exactly as Node derives the Date (and for BigIntStats the Ms) fields.
  view.consistent = Object.fromEntries(STAT_TIMES.map((f) => {
    const d = s[f];
    const ms = s[`${f}Ms`];
    let ok = d instanceof Date && d.getTime() === Math.round(Number(ms));
    if (typeof ms === 'bigint') ok = ok && s[`${f}Ns`] / 1000000n === ms;
    return [f, ok];
  }));
  for (const f of opts.times || []) {
    view[`${f}Ms`] = s[`${f}Ms`];
    view[`${f}Ns`] = s[`${f}Ns`];
    view[f] = s[f] instanceof Date ? s[f].getTime() : s[f];
  }
  if (opts.ino) view.ino = s.ino; // e.g. comparing two hard links inside one twin
  return view;
}

/** Comparable view of an error (or any thrown value). */
export function errorView(e, dir) {
  if (e === null || (typeof e !== 'object' && typeof e !== 'function')) {
    return { $thrownPrimitive: typeof e, value: normalise(e, dir) };
  }
  const view = {
    $error: e.constructor ? e.constructor.name : protoName(e),
    instanceofError: e instanceof Error,
    instanceofTypeError: e instanceof TypeError,
    instanceofRangeError: e instanceof RangeError,
    name: e.name,
    code: e.code,
    errno: e.errno,
    syscall: e.syscall,
    path: normPath(e.path, dir),
    dest: normPath(e.dest, dir),
    message: typeof e.message === 'string' ? normString(e.message, dir) : e.message,
    keys: Object.keys(e),
    toString: normString(String(e), dir),
    stackHead: typeof e.stack === 'string' ? normString(e.stack.split('\n')[0], dir) : typeof e.stack,
  };
  if ('cause' in e) {
    const c = e.cause;
    view.cause = c && typeof c === 'object'
      ? { ctor: c.constructor && c.constructor.name, name: c.name, code: c.code, message: c.message }
      : { value: normalise(c, dir) };
  }
  return view;
}

/** Turn any value into something strictSame can compare between the twins. */
export function normalise(v, dir, depth = 0) {
  if (depth > 20) return '<too deep>';
  if (v === undefined || v === null || typeof v === 'boolean' || typeof v === 'number' ||
      typeof v === 'bigint') {
    return v;
  }
  if (typeof v === 'string') {
    const n = normString(v, dir);
    if (n.length <= 4096) return n;
    return { $string: n.length, sha256: crypto.createHash('sha256').update(n).digest('hex') };
  }
  if (typeof v === 'symbol') return { $symbol: String(v) };
  if (typeof v === 'function') return { $function: v.name };
  if (v[REC] && v.outcome === 'callback') {
    return {
      outcome: 'callback', sync: v.sync, thisValue: v.thisValue, arity: v.arity,
      returned: normalise(v.returned, dir, depth + 1), calledAgain: v.calledAgain,
      error: v.cbError === null || v.cbError === undefined ? v.cbError : errorView(v.cbError, dir),
      values: normalise(v.values, dir, depth + 1),
    };
  }
  if (v[REC]) {
    const r = { outcome: v.outcome };
    if (v.promise) r.promise = v.promise;
    if ('error' in v) r.error = errorView(v.error, dir);
    else r.value = normalise(v.value, dir, depth + 1);
    return r;
  }
  if (v instanceof Error) return errorView(v, dir);
  if (Buffer.isBuffer(v)) return { $buffer: v.length, bytes: digest(normBytes(v, dir)) };
  if (ArrayBuffer.isView(v)) {
    if (isDetached(v)) return { $view: protoName(v), detached: true };
    return { $view: protoName(v), byteLength: v.byteLength, bytes: digest(v) };
  }
  if (v instanceof ArrayBuffer) {
    return { $arrayBuffer: v.byteLength, bytes: digest(new Uint8Array(v)) };
  }
  if (isStatsLike(v)) return statsView(v);
  if (v instanceof Date) return { $date: v.getTime() };
  if (v instanceof Promise) return { $promise: true };
  if (Array.isArray(v)) return v.map((x) => normalise(x, dir, depth + 1));
  if (typeof v.isFile === 'function' && typeof v.name === 'string') {
    // Dirent
    return {
      $dirent: protoName(v),
      name: normString(v.name, dir),
      checks: Object.fromEntries(STAT_CHECKS.map((m) => [m, v[m]()])),
    };
  }
  if (typeof v.read === 'function' && typeof v.close === 'function' && 'fd' in v) {
    // FileHandle: fd numbers legitimately differ.
    return { $fileHandle: protoName(v), fdType: typeof v.fd, fdValid: Number.isInteger(v.fd) && v.fd >= 0 };
  }
  const out = { $proto: protoName(v), $keys: Object.keys(v) };
  for (const k of Object.keys(v)) out[k] = normalise(v[k], dir, depth + 1);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Twin directories.

/**
 * Writes a tree: string/Buffer/TypedArray values are files, { $symlink: target } is a
 * symlink, { $mode: 0o700, ...children } / plain objects are directories.
 */
export function writeTree(dir, spec) {
  for (const [name, v] of Object.entries(spec)) {
    if (name.startsWith('$')) continue;
    const p = path.join(dir, name);
    if (typeof v === 'string' || ArrayBuffer.isView(v)) {
      fs.writeFileSync(p, v);
    } else if (v && typeof v === 'object' && '$symlink' in v) {
      fs.symlinkSync(v.$symlink, p);
    } else if (v && typeof v === 'object') {
      fs.mkdirSync(p);
      writeTree(p, v);
      if (v.$mode !== undefined) fs.chmodSync(p, v.$mode);
    } else {
      throw new Error(`writeTree: bad spec for ${name}`);
    }
  }
}

function fileDigest(p, size) {
  if (size <= 64 * 1024 * 1024) return digest(fs.readFileSync(p));
  // Huge (typically sparse) files: head and tail are enough to tell twins apart.
  const fd = fs.openSync(p, 'r');
  try {
    const head = Buffer.alloc(1 << 20);
    const tail = Buffer.alloc(1 << 20);
    fs.readSync(fd, head, 0, head.length, 0);
    fs.readSync(fd, tail, 0, tail.length, size - tail.length);
    return `head:${digest(head)} tail:${digest(tail)}`;
  } finally {
    fs.closeSync(fd);
  }
}

/** Snapshot of everything under dir (types, modes, sizes, contents, link targets). */
export function readTree(dir) {
  const out = {};
  const walk = (rel) => {
    const abs = path.join(dir, rel);
    for (const name of fs.readdirSync(abs).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = path.join(dir, r);
      const st = fs.lstatSync(p);
      const e = { mode: st.mode, nlink: st.nlink, size: st.size };
      if (st.isSymbolicLink()) e.link = normString(fs.readlinkSync(p), dir);
      else if (st.isFile()) e.bytes = fileDigest(p, st.size);
      out[r] = e;
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

/**
 * Create twin directories under os.tmpdir() (removed at teardown), each populated from
 * `layout` (a writeTree spec or a function (dir) => void).
 */
export function twins(t, layout, { callbacks = false } = {}) {
  const used = callbacks ? callbackImpls : impls;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-twin-'));
  const dirs = { node: path.join(root, 'node'), shim: path.join(root, 'shim') };
  for (const name of NAMES) {
    fs.mkdirSync(dirs[name]);
    if (typeof layout === 'function') layout(dirs[name]);
    else if (layout) writeTree(dirs[name], layout);
  }
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));

  const tw = {
    root,
    dirs,
    impls: used,
    /**
     * Run op(fsp, dir, name) for node then shim (with { callbacks: true }: op(fs, dir, cb, name)
     * with node:fs and uring-shim/fs, recorded by captureCallback). op's return value (or a throw / a returned
     * promise's rejection) is captured, so make op a plain arrow returning the API call's
     * promise when the sync-throw vs rejection distinction matters.
     * Returns { node, shim } normalised records.
     */
    async run(op) {
      const out = {};
      for (const name of NAMES) {
        const rec = callbacks
          ? await captureCallback((cb) => op(used[name], dirs[name], cb, name))
          : await capture(() => op(used[name], dirs[name], name));
        out[name] = normalise(rec, dirs[name]);
      }
      return out;
    },
    /**
     * run() + t.strictSame(shim, node). `expect` (optional) pins down what Node itself did,
     * so a comparison can never be vacuous: a string is an expected error code, 'ok' means
     * resolved/returned, or a function (nodeRecord) => boolean.
     */
    async same(t, msg, op, expect) {
      const out = await tw.run(op);
      if (expect !== undefined) checkExpect(t, msg, out.node, expect);
      t.strictSame(out.shim, out.node, msg);
      return out;
    },
    /** Compare the two directory trees after some mutation. */
    sameTree(t, msg = 'twin trees identical') {
      const node = readTree(dirs.node);
      t.strictSame(readTree(dirs.shim), node, msg);
      return node;
    },
    /** Run a raw function per twin (not captured): e.g. extra setup. */
    each(fn) {
      for (const name of NAMES) fn(dirs[name], name);
    },
  };
  return tw;
}

function checkExpect(t, msg, rec, expect) {
  let ok;
  if (typeof expect === 'function') ok = expect(rec);
  else if (expect === 'ok') ok = rec.outcome === 'resolve' || rec.outcome === 'return' || (rec.outcome === 'callback' && rec.error == null);
  else if (expect === 'throw' || expect === 'reject') ok = rec.outcome === expect;
  else ok = !!rec.error && rec.error.code === expect;
  if (!ok) t.fail(`oracle precondition for "${msg}": expected ${String(expect)}`, { found: rec });
}

// ---------------------------------------------------------------------------------------------
// Misc.

/** Number of open file descriptors of this process. */
export function fdCount() {
  return fs.readdirSync('/proc/self/fd').length;
}

/** Deterministic pseudo-random bytes (xorshift32). */
export function pattern(size, seed = 1) {
  const b = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}
