// fs.write and fs.writev on the ring. The caller's bytes are copied into ring memory (or, past
// a slot, pinned) by ring.write; strings are encoded into a Buffer the shim owns.
import { countRing } from '../../counters';
import * as ring from '../../ring';
import { isEncoding, isFd, isIntegerAtLeast, isViewArray, ringPosition } from '../args';
import { delegate } from './delegate';

const kMaxLength = 2 ** 31 - 1;

// A position argument as Node's binding reads it: a number (negative = current position),
// anything else the current position; undefined for numbers the ring cannot take as they are.
function writePosition(value: unknown): number | undefined {
  if (typeof value !== 'number') return -1;
  return Number.isSafeInteger(value) ? ringPosition(value) : undefined;
}

// Matches write in Node's lib/fs.js. Buffers: (fd, buffer, offset, length, position, cb),
// (fd, buffer, options, cb), and every shorter form where the callback comes first.
// Strings: (fd, string, position, encoding, cb), (fd, string, position, cb), (fd, string, cb).
export function write(fd: unknown, buffer: unknown, offsetOrOptions: unknown, length: unknown, position: unknown, callback: unknown): void {
  if (!ring.available || !isFd(fd)) return delegate('write', arguments);
  if (ArrayBuffer.isView(buffer)) {
    const cb = callback || position || length || offsetOrOptions;
    let offset = offsetOrOptions;
    let count = length;
    let at = position;
    if (typeof offset === 'object') {
      const fields = (offset ?? {}) as Record<string, unknown>;
      offset = fields.offset === undefined ? 0 : fields.offset;
      count = fields.length === undefined ? buffer.byteLength - (offset as number) : fields.length;
      at = fields.position === undefined ? null : fields.position;
    }
    if (offset == null || typeof offset === 'function') offset = 0;
    if (typeof cb !== 'function' || !isIntegerAtLeast(offset, 0)) return delegate('write', arguments);
    if (typeof count !== 'number') count = buffer.byteLength - offset;
    const to = writePosition(at);
    if (offset > buffer.byteLength || !isIntegerAtLeast(count, 0) || count > buffer.byteLength - offset || count > kMaxLength || to === undefined) {
      return delegate('write', arguments);
    }
    countRing('write');
    ring.write(fd, buffer, offset, count, to, cb as ring.Callback, undefined, buffer);
    return;
  }
  if (typeof buffer !== 'string') return delegate('write', arguments);
  let at = offsetOrOptions;
  let encoding = length;
  let cb = position;
  if (typeof position !== 'function') {
    if (typeof offsetOrOptions === 'function') {
      cb = offsetOrOptions;
      at = null;
    } else {
      cb = length;
    }
    encoding = 'utf8';
  }
  encoding ??= 'utf8';
  const to = writePosition(at);
  // Odd-length hex is Node's error to throw; unknown encoding names Node's binding reads as utf8.
  if (typeof cb !== 'function' || !isEncoding(encoding) || encoding.toLowerCase() === 'hex' || to === undefined) {
    return delegate('write', arguments);
  }
  const bytes = Buffer.from(buffer, encoding);
  countRing('write');
  ring.writeOwned(fd, bytes, 0, bytes.length, to, cb as ring.Callback, undefined, buffer);
}

// Matches writev: (fd, buffers, position, cb) or (fd, buffers, cb); an empty list reports 0.
export function writev(fd: unknown, buffers: unknown, position: unknown, callback: unknown): void {
  const cb = callback || position;
  if (!ring.available || !isFd(fd) || !isViewArray(buffers) || typeof cb !== 'function' ||
      (typeof position === 'number' && !Number.isSafeInteger(position))) {
    return delegate('writev', arguments);
  }
  if (buffers.length === 0) {
    process.nextTick(cb as ring.Callback, null, 0, buffers);
    return;
  }
  countRing('writev');
  ring.writev(fd, buffers, typeof position === 'number' ? ringPosition(position) : -1, cb as ring.Callback, undefined, buffers);
}
