// fs.ftruncate and fs.truncate on the ring, where the kernel has IORING_OP_FTRUNCATE (6.9+).
import { countRing } from '../../counters';
import * as ring from '../../ring';
import { aggregateTwoErrors } from '../../errors';
import { IORING_OP_FTRUNCATE } from '../../native';
import { isFd, isIntegerAtLeast, openFlags, plainPath } from '../args';
import { delegate, replacedOnFs } from './delegate';

function ringTruncates(): boolean {
  return ring.available && ring.supports(IORING_OP_FTRUNCATE);
}

// Matches ftruncate in Node's lib/fs.js: (fd, len, cb) or (fd, cb); negative lengths are 0.
export function ftruncate(fd: unknown, len: unknown = 0, callback?: unknown): void {
  let length = len;
  let cb = callback;
  if (typeof len === 'function') {
    cb = len;
    length = 0;
  }
  if (!ringTruncates() || !isFd(fd) || !isIntegerAtLeast(length, -Number.MAX_SAFE_INTEGER) || typeof cb !== 'function') {
    return delegate('ftruncate', arguments);
  }
  countRing('ftruncate');
  ring.ftruncate(fd, Math.max(0, length), cb as ring.Callback);
}

// Matches truncate: open 'r+', ftruncate, close, then one callback with the truncate error
// first. A descriptor (deprecated) is Node's, which warns and calls fs.ftruncate.
export function truncate(path: unknown, len: unknown, callback: unknown): void {
  let length = len;
  let cb = callback;
  if (typeof len === 'function') {
    cb = len;
    length = 0;
  } else if (len === undefined) {
    length = 0;
  }
  const p = plainPath(path);
  if (!ringTruncates() || p === undefined || !isIntegerAtLeast(length, -Number.MAX_SAFE_INTEGER) || typeof cb !== 'function') {
    return delegate('truncate', arguments);
  }
  countRing('truncate');
  const done = cb as ring.Callback;
  const size = Math.max(0, length);
  const afterOpen = (openError: Error | null, fd?: number) => {
    if (openError) return done(openError);
    ring.ftruncate(fd!, size, (truncateError) => {
      const afterClose = (closeError: Error | null) => done(aggregateTwoErrors(closeError, truncateError));
      const userClose = replacedOnFs('close');
      if (userClose) userClose(fd, afterClose);
      else ring.close(fd!, afterClose);
    });
  };
  const userOpen = replacedOnFs('open');
  if (userOpen) userOpen(path, 'r+', afterOpen);
  else ring.openat(p, openFlags('r+', 'r+')!, 0o666, afterOpen);
}
