// The fs-operations object a ring-backed ReadStream/WriteStream hands to Node's stream code as
// its `options.fs`. Node's streams do all their I/O through `this[kFs].open/read/write/writev/
// fsync/close`, where kFs is `options.fs` or the fs module, looked up at each call. This object
// keeps that contract: at each call it looks at the function the stream would have called (on
// the fs module, or on the user's `fs` option). If that is Node's own or one the shim installed,
// the operation goes to the ring; if it is a user's replacement (tests and graceful-fs patch
// fs.open/fs.close, `fs: { write: mock }`), that replacement is called, exactly as Node would.
import { countDelegated, countRing } from '../counters';
import { fileMode, isUint, openFlags, plainPath } from '../fs/args';
import { nodeFs } from '../fs/originals';
import { isRingBacked } from '../fs/ring-backed';
import * as ring from '../ring';

type Fn = (...args: any[]) => any;
type FsLike = Record<string, unknown>;
export type StreamKind = 'ReadStream' | 'WriteStream';

const operations = ['open', 'read', 'write', 'writev', 'fsync', 'close'] as const;
type OperationName = (typeof operations)[number];

const slotSize = ring.ringInfo?.slotSize ?? 0;

// Counter names ('ReadStream.read', ...), built once.
const apiNames = Object.fromEntries((['ReadStream', 'WriteStream'] as const).map((kind) =>
  [kind, Object.fromEntries(operations.map((name) => [name, `${kind}.${name}`]))])) as Record<StreamKind, Record<OperationName, string>>;

// Node's own function or the shim's: the stream may skip it and use the ring directly.
function ours(fn: unknown, name: OperationName): boolean {
  return fn === nodeFs[name] || isRingBacked(fn);
}

const kMaxScratch = 1 << 20;

export class RingFs {
  readonly target: FsLike;
  private readonly api: Record<OperationName, string>;
  private scratch: Buffer | undefined = undefined;

  constructor(target: FsLike, kind: StreamKind) {
    this.target = target;
    this.api = apiNames[kind];
    // Whatever the target lacks, this object lacks too, so that Node's constructor validates and
    // chooses (_write vs _writev) exactly as it would on the target itself.
    for (const name of operations) {
      const fn = target[name];
      if (typeof fn !== 'function') Object.defineProperty(this, name, { value: fn, writable: true, configurable: true });
    }
  }

  private forward(name: OperationName, args: IArguments): unknown {
    const fn = this.target[name] as Fn;
    if (!ours(fn, name)) return Reflect.apply(fn, this.target, args);
    countDelegated(this.api[name]);
    return Reflect.apply(nodeFs[name] as Fn, nodeFs, args);
  }

  open(path: unknown, flags: unknown, mode: unknown, callback: Fn): unknown {
    const p = plainPath(path);
    const f = openFlags(flags, 'r');
    const m = fileMode(mode, 0o666);
    if (!ours(this.target.open, 'open') || p === undefined || f === undefined || m === undefined || typeof callback !== 'function') {
      return this.forward('open', arguments);
    }
    countRing(this.api.open);
    return ring.openat(p, f, m, callback);
  }

  // The stream allocates each chunk itself (Buffer.allocUnsafeSlow), so the kernel reads straight
  // into it: nobody else holds that memory until the callback hands it over.
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number | null | undefined, callback: Fn): unknown {
    if (!ours(this.target.read, 'read') || !isBufferCall(fd, buffer, offset, length, position, callback)) return this.forward('read', arguments);
    countRing(this.api.read);
    return ring.readInto(fd, buffer, offset, length, position ?? -1, callback, undefined, buffer);
  }

  // Chunks are the writer's: the kernel never reads them after the call returns. Small ones are
  // copied into ring memory by ring.write; larger ones into this stream's own scratch Buffer.
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number | null | undefined, callback: Fn): unknown {
    if (!ours(this.target.write, 'write') || !isBufferCall(fd, buffer, offset, length, position, callback)) return this.forward('write', arguments);
    countRing(this.api.write);
    const at = position ?? -1;
    if (length <= slotSize) return ring.write(fd, buffer, offset, length, at, callback, undefined, buffer);
    const copy = this.scratchFor(length);
    buffer.copy(copy, 0, offset, offset + length);
    return ring.writeOwned(fd, copy, 0, length, at, callback, undefined, buffer);
  }

  writev(fd: unknown, buffers: unknown, position: unknown, callback: Fn): unknown {
    // Empty chunks only (or not Buffers at all): Node's fs.writev answers that.
    const total = Array.isArray(buffers) && buffers.every((b) => Buffer.isBuffer(b)) ? byteLength(buffers) : 0;
    if (!ours(this.target.writev, 'writev') || !isFd(fd) || total === 0 || !isPosition(position) || typeof callback !== 'function') {
      return this.forward('writev', arguments);
    }
    countRing(this.api.writev);
    // All chunks copied into our own memory and written by one WRITE.
    const copy = this.scratchFor(total);
    let at = 0;
    for (const b of buffers as Buffer[]) at += b.copy(copy, at);
    return ring.writeOwned(fd, copy, 0, total, position ?? -1, callback, undefined, buffers);
  }

  // A stream has at most one write in flight (Writable calls _write/_writev one at a time, and
  // Node's _destroy waits for it), so one Buffer per stream serves every copy; past
  // kMaxScratch a one-off Buffer is used instead of keeping a huge one alive.
  private scratchFor(length: number): Buffer {
    if (length > kMaxScratch) return Buffer.allocUnsafeSlow(length);
    if (this.scratch === undefined || this.scratch.length < length) this.scratch = Buffer.allocUnsafeSlow(Math.max(length, 65536));
    return this.scratch;
  }

  fsync(fd: unknown, callback: Fn): unknown {
    if (!ours(this.target.fsync, 'fsync') || !isFd(fd) || typeof callback !== 'function') return this.forward('fsync', arguments);
    countRing(this.api.fsync);
    return ring.fsync('fsync', fd, callback);
  }

  close(fd: unknown, callback: Fn): unknown {
    if (!ours(this.target.close, 'close') || !isFd(fd) || typeof callback !== 'function') return this.forward('close', arguments);
    countRing(this.api.close);
    return ring.close(fd, callback);
  }
}

// fs.read/fs.write(fd, buffer, offset, length, position, callback) as Node's streams call them
// (the parameter types say what that is); anything else goes to Node, whose validation decides.
function isBufferCall(fd: unknown, buffer: unknown, offset: unknown, length: unknown, position: unknown, callback: unknown): boolean {
  return isFd(fd) && Buffer.isBuffer(buffer) && isUint(offset) && isUint(length) && length > 0 && offset + length <= buffer.length &&
    isPosition(position) && typeof callback === 'function';
}

function byteLength(buffers: readonly Buffer[]): number {
  let total = 0;
  for (const b of buffers) total += b.length;
  return total;
}

function isFd(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0x7fffffff;
}

// What Node's fs.read/write treat as "the current file position" (null, undefined) or a plain
// offset; bigints and the rest go to Node.
function isPosition(value: unknown): value is number | null | undefined {
  return value === null || value === undefined || (typeof value === 'number' && Number.isSafeInteger(value) && value >= -1);
}
