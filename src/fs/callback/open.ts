// fs.open and fs.close on the ring.
import { countRing } from '../../counters';
import * as ring from '../../ring';
import { fileMode, isFd, openFlags, plainPath } from '../args';
import { delegate } from './delegate';

// Matches open in Node's lib/fs.js: (path, cb), (path, flags, cb), (path, flags, mode, cb).
export function open(path: unknown, flags: unknown, mode: unknown, callback: unknown): void {
  let f = flags;
  let m = mode;
  let cb = callback;
  if (arguments.length < 3) {
    cb = flags;
    f = 'r';
    m = undefined;
  } else if (typeof mode === 'function') {
    cb = mode;
    m = undefined;
  }
  const p = plainPath(path);
  const openflags = openFlags(f, 'r');
  const openmode = fileMode(m, 0o666);
  if (!ring.available || p === undefined || openflags === undefined || openmode === undefined || typeof cb !== 'function') {
    return delegate('open', arguments);
  }
  countRing('open');
  ring.openat(p, openflags, openmode, cb as ring.Callback);
}

function defaultCloseCallback(error: Error | null): void {
  if (error != null) throw error;
}

// Without a callback a failed close throws from the completion, as Node's default does.
export function close(fd: unknown, callback: unknown = defaultCloseCallback): void {
  if (!ring.available || !isFd(fd) || typeof callback !== 'function') return delegate('close', arguments);
  countRing('close');
  ring.close(fd, callback as ring.Callback);
}
