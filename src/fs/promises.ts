// fs.promises on the ring. Each function serves the well-formed common calls itself and hands
// everything else to Node's own implementation (see args.ts), so results and errors are Node's.
// Functions with no ring operation behind them are Node's, re-exported as they are.
import { countDelegated, countRing } from '../counters';
import * as ring from '../ring';
import { IORING_OP_FTRUNCATE } from '../native';
import { fileMode, fileOptions, openFlags, plainPath, type PathArg } from './args';
import { fileHandleClass, fileHandleInternalsPatched, isShimFileHandle } from './file-handle';
import type { HasFd } from './whole-file';
import { nodePromises } from './originals';
import { handleFdClose, readFileHandle, readFilePath, statFlags, writeFileHandle } from './whole-file';
import { checkAborted } from '../errors';
import { copyFileOnRing, ringCopyMode } from './copy-file';
import { mkdirRecursive } from './mkdirp';
import '../stats';

export const {
  access, cp, opendir, rm, readdir, readlink, statfs, chmod, lchmod, lchown, chown, utimes,
  lutimes, realpath, mkdtemp, watch, constants,
} = nodePromises;

type Fn = (...args: any[]) => Promise<any>;

function delegate(api: string, args: IArguments): Promise<any> {
  countDelegated(api);
  return ((nodePromises as unknown as Record<string, Fn>)[api]).apply(undefined, args as unknown as any[]);
}

export async function open(path: unknown, flags?: unknown, mode?: unknown): Promise<any> {
  const p = plainPath(path);
  const f = openFlags(flags, 'r');
  const m = fileMode(mode, 0o666);
  if (!ring.available || p === undefined || f === undefined || m === undefined) return delegate('open', arguments);
  countRing('open');
  return openHandle(p, f, m);
}

async function openHandle(path: PathArg, flags: number, mode: number): Promise<any> {
  const FileHandle = fileHandleClass();
  const Class = typeof FileHandle === 'function' ? FileHandle : await FileHandle;
  return new Class(await ring.openat(path, flags, mode));
}

function statLike(api: 'stat' | 'lstat', args: IArguments, path: unknown, options: unknown): Promise<any> {
  const p = plainPath(path);
  if (!ring.available || p === undefined || (options !== undefined && (typeof options !== 'object' || options === null))) return delegate(api, args);
  countRing(api);
  return ring.statx(api, -1, p, statFlags[api], (options as { bigint?: unknown } | undefined)?.bigint === true);
}

export function stat(path: unknown, options?: unknown): Promise<any> {
  return statLike('stat', arguments, path, options);
}

export function lstat(path: unknown, options?: unknown): Promise<any> {
  return statLike('lstat', arguments, path, options);
}

// Not an async function: the promise of the path form is handed back as it is, rather than
// adopted by another one (three microtask turns per call, measurable on small files). What
// would throw -- an options getter, an aborted signal -- rejects instead, as in Node's.
export function readFile(path: unknown, options?: unknown): Promise<any> {
  try {
    const parsed = fileOptions(options);
    // Node reads a FileHandle given here without fsCall's closed check: a closed one fails in fstat.
    if (isShimFileHandle(path) && parsed !== undefined && (path as HasFd).fd !== -1) return readFileHandle(path as HasFd, parsed.encoding, parsed.signal);
    const p = plainPath(path);
    const flags = parsed && openFlags(parsed.flag, 'r');
    if (!ring.available || p === undefined || parsed === undefined || flags === undefined) return delegate('readFile', arguments);
    countRing('readFile');
    if (!fileHandleInternalsPatched()) return readFilePath(p, flags, parsed.encoding, parsed.signal);
    return readFileThroughHandle(p, flags, parsed.encoding, parsed.signal);
  } catch (error) {
    return Promise.reject(error);
  }
}

async function readFileThroughHandle(path: PathArg, flags: number, encoding: BufferEncoding | undefined, signal: AbortSignal | undefined): Promise<any> {
  checkAborted(signal);
  const handle = await openHandle(path, flags, 0o666);
  return handleFdClose(readFileHandle(handle, encoding, signal), handle.close);
}

function writeLike(api: 'writeFile' | 'appendFile', args: IArguments, path: unknown, data: unknown, options: unknown): Promise<any> {
  const parsed = fileOptions(options);
  if (isShimFileHandle(path) && parsed !== undefined && (path as HasFd).fd !== -1 && (typeof data === 'string' || ArrayBuffer.isView(data))) {
    // As in Node, a FileHandle given here is written from its current position, flags ignored.
    const bytes = typeof data === 'string' ? Buffer.from(data, parsed.encoding ?? 'utf8') : data;
    return writeFileHandle(path as HasFd, bytes, parsed.signal);
  }
  const p = plainPath(path);
  const flags = parsed && openFlags(parsed.flag, api === 'writeFile' ? 'w' : 'a');
  const mode = parsed && fileMode(parsed.mode, 0o666);
  if (!ring.available || p === undefined || parsed === undefined || flags === undefined || mode === undefined ||
      !(typeof data === 'string' || ArrayBuffer.isView(data))) {
    return delegate(api, args);
  }
  countRing(api);
  const bytes = typeof data === 'string' ? Buffer.from(data, parsed.encoding ?? 'utf8') : data;
  return (async () => {
    checkAborted(parsed.signal);
    const handle = await openHandle(p, flags, mode);
    let operation = writeFileHandle(handle, bytes, parsed.signal);
    if (parsed.flush) operation = operation.then(() => handle.sync());
    return handleFdClose(operation, handle.close);
  })();
}

export function writeFile(path: unknown, data: unknown, options?: unknown): Promise<void> {
  return writeLike('writeFile', arguments, path, data, options);
}

export function appendFile(path: unknown, data: unknown, options?: unknown): Promise<void> {
  return writeLike('appendFile', arguments, path, data, options);
}

export async function truncate(path: unknown, len?: unknown): Promise<void> {
  const p = plainPath(path);
  const length = len === undefined ? 0 : len;
  if (!ring.available || p === undefined || typeof length !== 'number' || !Number.isSafeInteger(length) || !ring.supports(IORING_OP_FTRUNCATE)) {
    return delegate('truncate', arguments);
  }
  countRing('truncate');
  const handle = await openHandle(p, openFlags('r+', 'r+')!, 0o666);
  return handleFdClose(handle.truncate(length), handle.close);
}

function twoPaths(api: 'rename' | 'link' | 'symlink', args: IArguments, a: unknown, b: unknown, run: (a: PathArg, b: PathArg) => Promise<void>): Promise<void> {
  const pa = plainPath(a);
  const pb = plainPath(b);
  if (!ring.available || pa === undefined || pb === undefined) return delegate(api, args);
  countRing(api);
  return run(pa, pb);
}

export function rename(oldPath: unknown, newPath: unknown): Promise<void> {
  return twoPaths('rename', arguments, oldPath, newPath, ring.renameat);
}

export function link(existingPath: unknown, newPath: unknown): Promise<void> {
  return twoPaths('link', arguments, existingPath, newPath, ring.linkat);
}

const symlinkTypes = new Set([undefined, null, 'file', 'dir', 'junction']);

export function symlink(target: unknown, path: unknown, type?: unknown): Promise<void> {
  if (!symlinkTypes.has(type as string)) return delegate('symlink', arguments);
  return twoPaths('symlink', arguments, target, path, ring.symlinkat);
}

export function unlink(path: unknown): Promise<void> {
  const p = plainPath(path);
  if (!ring.available || p === undefined) return delegate('unlink', arguments);
  countRing('unlink');
  return ring.unlinkat('unlink', p);
}

export function rmdir(path: unknown, options?: unknown): Promise<void> {
  const p = plainPath(path);
  if (!ring.available || p === undefined || options !== undefined) return delegate('rmdir', arguments);
  countRing('rmdir');
  return ring.unlinkat('rmdir', p);
}

export function mkdir(path: unknown, options?: unknown): Promise<string | undefined> {
  const p = plainPath(path);
  let mode: number | undefined;
  let recursive = false;
  if (typeof options === 'number') mode = fileMode(options, 0o777);
  else if (options === undefined || options === null) mode = 0o777;
  else if (typeof options === 'object') {
    const { recursive: requested, mode: requestedMode } = options as { recursive?: unknown; mode?: unknown };
    // Paths given as Buffers are split by Node as bytes: those recursive calls stay Node's.
    if (requested === undefined || requested === false || (requested === true && typeof p === 'string')) {
      recursive = requested === true;
      mode = fileMode(requestedMode, 0o777);
    }
  }
  if (!ring.available || p === undefined || mode === undefined) return delegate('mkdir', arguments);
  countRing('mkdir');
  return recursive ? mkdirRecursive(p as string, mode) : ring.mkdirat(p, mode) as Promise<undefined>;
}

export async function copyFile(src: unknown, dest: unknown, mode?: unknown): Promise<void> {
  const from = plainPath(src);
  const to = plainPath(dest);
  const copyMode = ringCopyMode(mode);
  if (!ring.available || from === undefined || to === undefined || copyMode === undefined || !(await copyFileOnRing(from, to, copyMode))) {
    return delegate('copyFile', arguments);
  }
  countRing('copyFile');
}

// What a newer Node adds to fs.promises (glob on Node 22, mkdtempDisposable on 24) is Node's own
// here too, like the re-exports at the top: present exactly when the running Node has it.
for (const [name, value] of Object.entries(nodePromises)) {
  if (!Object.hasOwn(exports, name)) (exports as Record<string, unknown>)[name] = value;
}
