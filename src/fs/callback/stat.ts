// fs.stat, fs.lstat and fs.fstat on the ring (STATX), with Node's Stats objects.
import { countRing } from '../../counters';
import * as ring from '../../ring';
import { isFd, plainPath } from '../args';
import { statFlags } from '../whole-file';
import { delegate } from './delegate';

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
