// fs.rename, fs.unlink, fs.rmdir, fs.mkdir (recursive too), fs.link and fs.symlink on the
// ring. rmdir with options is Node's.
import { countRing } from '../../counters';
import * as ring from '../../ring';
import { fileMode, plainPath, type PathArg } from '../args';
import { mkdirRecursive } from '../mkdirp';
import { delegate } from './delegate';
import { settleLater } from './settle-later';

type TwoPathOp = (a: PathArg, b: PathArg, callback: ring.Callback) => void;

function twoPaths(api: 'rename' | 'link' | 'symlink', args: IArguments, a: unknown, b: unknown, callback: unknown, run: TwoPathOp): void {
  const pa = plainPath(a);
  const pb = plainPath(b);
  if (!ring.available || pa === undefined || pb === undefined || typeof callback !== 'function') return delegate(api, args);
  countRing(api);
  run(pa, pb, callback as ring.Callback);
}

export function rename(oldPath: unknown, newPath: unknown, callback: unknown): void {
  twoPaths('rename', arguments, oldPath, newPath, callback, ring.renameat);
}

export function link(existingPath: unknown, newPath: unknown, callback: unknown): void {
  twoPaths('link', arguments, existingPath, newPath, callback, ring.linkat);
}

// Node takes the last argument as the callback and a string type only (on Linux the type
// changes nothing, but an unknown name is Node's error).
const symlinkTypes = new Set(['file', 'dir', 'junction']);

// Node 24 calls symlink's callback with its request object as `this` (Node 20 and 22: undefined,
// as every other callback here); the ring's callbacks cannot be given that object, so there it
// stays Node's. (Node 23 is no target and was not checked.)
const symlinkCallbackHasReceiver = Number(process.versions.node.split('.')[0]) >= 24;

export function symlink(target: unknown, path: unknown, type_: unknown, callback_: unknown): void {
  if (symlinkCallbackHasReceiver || (typeof type_ === 'string' && !symlinkTypes.has(type_))) return delegate('symlink', arguments);
  twoPaths('symlink', arguments, target, path, arguments[arguments.length - 1], ring.symlinkat);
}

export function unlink(path: unknown, callback: unknown): void {
  const p = plainPath(path);
  if (!ring.available || p === undefined || typeof callback !== 'function') return delegate('unlink', arguments);
  countRing('unlink');
  ring.unlinkat('unlink', p, callback as ring.Callback);
}

export function rmdir(path: unknown, options: unknown, callback: unknown): void {
  let cb = callback;
  let opts = options;
  if (typeof options === 'function') {
    cb = options;
    opts = undefined;
  }
  const p = plainPath(path);
  if (!ring.available || p === undefined || opts !== undefined || typeof cb !== 'function') return delegate('rmdir', arguments);
  countRing('rmdir');
  ring.unlinkat('rmdir', p, cb as ring.Callback);
}

// Matches mkdir's options: a callback, a mode number, or { recursive, mode }.
export function mkdir(path: unknown, options: unknown, callback: unknown): void {
  let cb = callback;
  let mode: number | undefined;
  let recursive = false;
  if (typeof options === 'function') {
    cb = options;
    mode = 0o777;
  } else if (typeof options === 'number') {
    mode = fileMode(options, 0o777);
  } else if (options === undefined || options === null || typeof options === 'boolean') {
    mode = 0o777;
  } else if (typeof options === 'object') {
    // Node's mode here has no default: a null mode is its error.
    const { recursive: requested, mode: requestedMode } = options as { recursive?: unknown; mode?: unknown };
    // Paths given as Buffers are split by Node as bytes: those recursive calls stay Node's.
    const plain = requested === undefined || requested === false || (requested === true && typeof plainPath(path) === 'string');
    if (plain && requestedMode !== null) {
      recursive = requested === true;
      mode = fileMode(requestedMode, 0o777);
    }
  }
  const p = plainPath(path);
  if (!ring.available || p === undefined || mode === undefined || typeof cb !== 'function') return delegate('mkdir', arguments);
  countRing('mkdir');
  if (!recursive) return ring.mkdirat(p, mode, cb as ring.Callback);
  const done = cb as (error: Error | null, first?: string) => void;
  mkdirRecursive(p as string, mode).then((first) => settleLater(done, null, first), (error) => settleLater(done, error));
}
