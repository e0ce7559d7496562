// fs.read and fs.readv on the ring. Node's overloads and validation order are mirrored only to
// find the well-formed calls; everything else goes to Node's own function, which throws.
import { countRing } from '../../counters';
import * as ring from '../../ring';
import { isFd, isIntegerAtLeast, isObjectOrNull, isViewArray, readsNothing, ringPosition } from '../args';
import { delegate } from './delegate';

// Matches read in Node's lib/fs.js: (fd, buffer, offset, length, position, cb),
// (fd, buffer, options, cb), (fd, buffer, cb), (fd, options, cb), (fd, cb).
export function read(fd: unknown, buffer: unknown, offsetOrOptions: unknown, length: unknown, position: unknown, callback: unknown): void {
  if (!ring.available || !isFd(fd)) return delegate('read', arguments);
  let view = buffer;
  let offset = offsetOrOptions;
  let count = length;
  let at = position;
  let cb = callback;
  // A buffer the shim allocated: the kernel may read into it directly.
  let owned = false;
  if (arguments.length <= 4) {
    let params: unknown = null;
    if (arguments.length === 4) {
      if (!isObjectOrNull(offsetOrOptions)) return delegate('read', arguments);
      cb = length;
      params = offsetOrOptions;
    } else if (arguments.length === 3) {
      if (!ArrayBuffer.isView(buffer)) {
        params = buffer;
        if (!isObjectOrNull(params)) return delegate('read', arguments);
        view = params?.buffer;
        owned = view === undefined;
        if (owned) view = Buffer.alloc(16384);
      }
      cb = offsetOrOptions;
    } else {
      cb = buffer;
      view = Buffer.alloc(16384);
      owned = true;
    }
    // Destructuring defaults, as Node's: they replace undefined only (a null offset becomes 0
    // below, a null length 0).
    const fields = (params ?? {}) as Record<string, unknown>;
    offset = fields.offset === undefined ? 0 : fields.offset;
    count = fields.length === undefined ? (view as ArrayBufferView | undefined)?.byteLength! - (offset as number) : fields.length;
    at = fields.position === undefined ? null : fields.position;
  }
  if (!ArrayBuffer.isView(view) || typeof cb !== 'function') return delegate('read', arguments);
  offset ??= 0;
  if (!isIntegerAtLeast(offset, 0) || !(typeof count === 'number' || count === null)) return delegate('read', arguments);
  const n = (count as number) | 0;
  if (n === 0) {
    process.nextTick(cb as ring.Callback, null, 0, view);
    return;
  }
  at ??= -1;
  if (view.byteLength === 0 || n < 0 || offset + n > view.byteLength || !isIntegerAtLeast(at, -1)) return delegate('read', arguments);
  countRing('read');
  if (owned) ring.readInto(fd, view, offset, n, ringPosition(at), cb as ring.Callback, undefined, view);
  else ring.read(fd, view, offset, n, ringPosition(at), cb as ring.Callback, undefined, view);
}

// Matches readv: (fd, buffers, position, cb) or (fd, buffers, cb).
export function readv(fd: unknown, buffers: unknown, position: unknown, callback: unknown): void {
  const cb = callback || position;
  // An empty list is Node's (and the kernel's) to answer.
  if (!ring.available || !isFd(fd) || !isViewArray(buffers) || buffers.length === 0 || readsNothing(buffers) || typeof cb !== 'function' ||
      (typeof position === 'number' && !Number.isSafeInteger(position))) {
    return delegate('readv', arguments);
  }
  countRing('readv');
  ring.readv(fd, buffers, typeof position === 'number' ? ringPosition(position) : -1, cb as ring.Callback, undefined, buffers);
}
