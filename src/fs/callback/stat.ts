// fs.stat, fs.lstat and fs.fstat on the ring (STATX), with Node's Stats objects.
import { constants } from 'node:fs';
import { countRing } from '../../counters';
import * as ring from '../../ring';
import { isFd, plainPath } from '../args';
import { nodeFs } from '../originals';
import { statFlags } from '../whole-file';
import { delegate } from './delegate';

// Node's callback realpath tells a pipe or socket (/dev/stdin -> /proc/<pid>/fd/0 -> 'pipe:[…]')
// by the mode its binding's most recent non-bigint stat left in an internal array, which only
// Node's own stat calls fill. So when a ring stat finds a FIFO or socket, Node's sync stat of the
// same path repeats it into that array, and the next ring stat that finds anything else does the
// same to undo it: the array then says what it would say under Node. Both are rare, so the
// common stat costs nothing extra.
let nodeArrayHoldsSpecial = false;

function keepNodeStatArray(stats: { mode: number }, syscall: string, path: string | Buffer | undefined): void {
  const type = stats.mode & constants.S_IFMT;
  const special = type === constants.S_IFIFO || type === constants.S_IFSOCK;
  if ((!special && !nodeArrayHoldsSpecial) || path === undefined) return;
  nodeArrayHoldsSpecial = special;
  try {
    if (syscall === 'lstat') nodeFs.lstatSync(path);
    else nodeFs.statSync(path);
  } catch {
    // The path changed meanwhile: the array keeps whatever Node's last stat left there.
  }
}

ring.observeCallbackStats(keepNodeStatArray);

// Node reads `options.bigint` (so any non-null options value goes), and its binding takes only
// `true` as a request for BigIntStats.
function statCall(api: 'stat' | 'lstat' | 'fstat', args: IArguments, target: unknown, options: unknown, callback: unknown): void {
  let cb = callback;
  let opts = options;
  if (typeof options === 'function') {
    cb = options;
    opts = undefined;
  }
  const p = api === 'fstat' ? (isFd(target) ? '' : undefined) : plainPath(target);
  if (!ring.available || p === undefined || opts === null || typeof cb !== 'function') return delegate(api, args);
  countRing(api);
  const bigint = (opts as { bigint?: unknown } | undefined)?.bigint === true;
  ring.statx(api, api === 'fstat' ? target as number : -1, p, statFlags[api], bigint, cb as ring.Callback);
}

export function stat(path: unknown, options: unknown = { bigint: false }, callback?: unknown): void {
  statCall('stat', arguments, path, options, callback);
}

export function lstat(path: unknown, options: unknown = { bigint: false }, callback?: unknown): void {
  statCall('lstat', arguments, path, options, callback);
}

export function fstat(fd: unknown, options: unknown = { bigint: false }, callback?: unknown): void {
  statCall('fstat', arguments, fd, options, callback);
}
