// The JS half of the ring: operation ids, the bridge between borrowed Buffers and ring-owned
// memory, and the one function that settles promises when a batch of completions arrives.
//
// An operation is one call into the addon (which queues an SQE) and one entry in a batch that
// comes back through `onCompletions`. Operation records are pooled by id, so the steady state
// allocates only the promise the caller asked for.
import { uvException, type SystemError } from './errors';
import { startRing, type Binding, type RingInfo } from './native';
import { makeStats } from './stats-object';

// What to do with a result. Memory the kernel used directly stays referenced by `target` until
// the completion, whatever the kind.
const enum Finish {
  Value,        // resolve with the result (fd, byte count)
  Nothing,      // resolve with undefined
  Stats,        // resolve with a Stats built from the shared fields
  CopyOut,      // read landed in an arena slot: copy into the caller's buffer, free the slot
  FreeSlot,     // write was copied into an arena slot: free it
}

class Operation {
  id: number;
  finish = Finish.Value;
  syscall = '';
  path: string | Buffer | undefined = undefined;
  dest: string | Buffer | undefined = undefined;
  bigint = false;
  slot = -1;
  target: ArrayBufferView | readonly ArrayBufferView[] | null = null;
  targetOffset = 0;
  callback: Callback | null = null;
  resolve: (value: any) => void = noop;
  reject: (reason: unknown) => void = noop;
  constructor(id: number) {
    this.id = id;
  }
}

function noop(): void {}

const operations: Operation[] = [];
const idle: Operation[] = [];

function onCompletions(count: number): void {
  const completions = info!.completions;
  for (let i = 0; i < count; i++) {
    const op = operations[completions[2 * i]];
    const res = completions[2 * i + 1];
    try {
      complete(op, res, i);
    } catch (error) {
      // A callback threw. Like an exception from Node's own fs callback it is uncaught, but
      // only once the rest of the batch has been delivered.
      queueMicrotask(() => { throw error; });
    }
  }
}

function complete(op: Operation, res: number, index: number): void {
  const { resolve, reject, callback } = op;
  let value: unknown;
  switch (op.finish) {
    case Finish.Value: value = res; break;
    case Finish.Nothing: value = undefined; break;
    case Finish.Stats: if (res >= 0) value = makeStats(op.bigint ? info!.statsFieldsBigInt : info!.statsFields, index, op.bigint); break;
    case Finish.CopyOut:
      if (res > 0) {
        const target = op.target as ArrayBufferView;
        const slotStart = op.slot * info!.slotSize;
        new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(arenaBytes!.subarray(slotStart, slotStart + res), op.targetOffset);
      }
      freeSlots.push(op.slot);
      value = res;
      break;
    case Finish.FreeSlot: freeSlots.push(op.slot); value = res; break;
  }
  const error = res < 0 ? uvException(res, op.syscall, op.path, op.dest) : undefined;
  release(op);
  if (callback !== null) callback(error ?? null, value as number);
  else if (error !== undefined) reject(error);
  else resolve(value);
}

function acquire(finish: Finish, syscall: string, path?: string | Buffer, dest?: string | Buffer): Operation {
  const op = idle.pop() ?? newOperation();
  op.finish = finish;
  op.syscall = syscall;
  op.path = path;
  op.dest = dest;
  latestId = op.id;
  return op;
}

function newOperation(): Operation {
  const op = new Operation(operations.length);
  operations.push(op);
  return op;
}

function release(op: Operation): void {
  op.path = op.dest = undefined;
  op.target = null;
  op.slot = -1;
  op.resolve = op.reject = noop;
  op.callback = null;
  idle.push(op);
}

function settle<T>(op: Operation): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    op.resolve = resolve;
    op.reject = reject;
  });
}

// Node-style completion for code that serves Node's callback contract (fs streams): the callback
// runs straight from the completion batch, as Node runs its own fs callbacks, with no promise in
// between. The operations that take one return nothing when given one.
export type Callback = (error: SystemError | null, result: number) => void;

function deliver<T>(op: Operation, callback: Callback | undefined): Promise<T> | undefined {
  if (callback === undefined) return settle(op);
  op.callback = callback;
  return undefined;
}

const native = startRing(onCompletions);
const binding: Binding | null = native.binding;
const info: RingInfo | null = native.info;
const arenaBytes = info ? new Uint8Array(info.arena.buffer, info.arena.byteOffset, info.arena.byteLength) : null;
const freeSlots: number[] = info ? Array.from({ length: info.slotCount }, (_, i) => info.slotCount - 1 - i) : [];

export const available = binding !== null;
export const fallbackReason = native.fallbackReason;
export const ringInfo = info;

export function supports(opcode: number): boolean {
  return info !== null && info.opcodes.includes(opcode);
}

export function counters() {
  return binding ? binding.counters() : { enters: 0, completions: 0, largestBatch: 0, inFlight: 0 };
}

let latestId = -1;

// The id of the most recently started operation, for a caller that may need to cancel it.
export function latestOperationId(): number {
  return latestId;
}

export function cancel(id: number): void {
  binding!.cancel(id);
}

// ---- operations -----------------------------------------------------------------------------

export function openat(path: string | Buffer, flags: number, mode: number): Promise<number>;
export function openat(path: string | Buffer, flags: number, mode: number, callback: Callback): undefined;
export function openat(path: string | Buffer, flags: number, mode: number, callback?: Callback): Promise<number> | undefined {
  const op = acquire(Finish.Value, 'open', path);
  binding!.openat(op.id, path, flags, mode);
  return deliver(op, callback);
}

export function close(fd: number): Promise<void>;
export function close(fd: number, callback: Callback): undefined;
export function close(fd: number, callback?: Callback): Promise<void> | undefined {
  const op = acquire(Finish.Nothing, 'close');
  binding!.close(op.id, fd);
  return deliver(op, callback);
}

// A read into a Buffer the caller lent: it lands in ring memory and is copied out before the
// promise settles, so the caller's Buffer is never a kernel target. Past a slot's size (or with
// every slot busy) the caller's Buffer is pinned instead and the kernel writes into it.
export function read(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number): Promise<number> {
  const slot = length <= info!.slotSize ? freeSlots.pop() : undefined;
  if (slot === undefined) return readInto(fd, buffer, offset, length, position);
  const op = acquire(Finish.CopyOut, 'read');
  op.slot = slot;
  op.target = buffer;
  op.targetOffset = offset;
  binding!.read(op.id, fd, slot * info!.slotSize, 0, length, position);
  return settle(op);
}

// A read into memory the shim itself allocated (readFile, streams): no copy.
export function readInto(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number): Promise<number>;
export function readInto(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number, callback: Callback): undefined;
export function readInto(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number, callback?: Callback): Promise<number> | undefined {
  const op = acquire(Finish.Value, 'read');
  op.target = buffer;
  binding!.read(op.id, fd, buffer, offset, length, position);
  return deliver(op, callback);
}

// A write of borrowed bytes: copied into ring memory now, so the caller may reuse its Buffer as
// soon as this returns. Larger writes (or every slot busy) pin the caller's Buffer instead.
export function write(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number): Promise<number>;
export function write(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number, callback: Callback): undefined;
export function write(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number, callback?: Callback): Promise<number> | undefined {
  const slot = length <= info!.slotSize ? freeSlots.pop() : undefined;
  if (slot === undefined) return deliver(startWriteOwned(fd, buffer, offset, length, position), callback);
  const slotStart = slot * info!.slotSize;
  arenaBytes!.set(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length), slotStart);
  const op = acquire(Finish.FreeSlot, 'write');
  op.slot = slot;
  binding!.write(op.id, fd, slotStart, 0, length, position);
  return deliver(op, callback);
}

// A write from memory the shim owns (encoded strings, readFile's own buffers): no copy.
export function writeOwned(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number): Promise<number>;
export function writeOwned(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number, callback: Callback): undefined;
export function writeOwned(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number, callback?: Callback): Promise<number> | undefined {
  return deliver(startWriteOwned(fd, buffer, offset, length, position), callback);
}

function startWriteOwned(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number): Operation {
  const op = acquire(Finish.Value, 'write');
  op.target = buffer;
  binding!.write(op.id, fd, buffer, offset, length, position);
  return op;
}

export function readv(fd: number, buffers: readonly ArrayBufferView[], position: number): Promise<number> {
  const op = acquire(Finish.Value, 'read');
  op.target = buffers;
  binding!.readv(op.id, fd, buffers, position);
  return settle(op);
}

export function writev(fd: number, buffers: readonly ArrayBufferView[], position: number): Promise<number> {
  const op = acquire(Finish.Value, 'write');
  op.target = buffers;
  binding!.writev(op.id, fd, buffers, position);
  return settle(op);
}

// statx: `path` '' with AT_EMPTY_PATH stats `fd` itself.
export function statx(syscall: 'stat' | 'lstat' | 'fstat', fd: number, path: string | Buffer, flags: number, bigint: boolean): Promise<any> {
  const op = acquire(Finish.Stats, syscall, syscall === 'fstat' ? undefined : path);
  op.bigint = bigint;
  binding!.statx(op.id, fd, path, flags, bigint);
  return settle(op);
}

export function fsync(syscall: 'fsync' | 'fdatasync', fd: number): Promise<void>;
export function fsync(syscall: 'fsync' | 'fdatasync', fd: number, callback: Callback): undefined;
export function fsync(syscall: 'fsync' | 'fdatasync', fd: number, callback?: Callback): Promise<void> | undefined {
  const op = acquire(Finish.Nothing, syscall);
  binding!.fsync(op.id, fd, syscall === 'fdatasync' ? IORING_FSYNC_DATASYNC : 0);
  return deliver(op, callback);
}

const IORING_FSYNC_DATASYNC = 1;

export function ftruncate(fd: number, length: number): Promise<void> {
  const op = acquire(Finish.Nothing, 'ftruncate');
  binding!.ftruncate(op.id, fd, length);
  return settle(op);
}

export function renameat(from: string | Buffer, to: string | Buffer): Promise<void> {
  const op = acquire(Finish.Nothing, 'rename', from, to);
  binding!.renameat(op.id, from, to);
  return settle(op);
}

export function unlinkat(syscall: 'unlink' | 'rmdir', path: string | Buffer): Promise<void> {
  const op = acquire(Finish.Nothing, syscall, path);
  binding!.unlinkat(op.id, path, syscall === 'rmdir' ? AT_REMOVEDIR : 0);
  return settle(op);
}

const AT_REMOVEDIR = 0x200;

export function mkdirat(path: string | Buffer, mode: number): Promise<void> {
  const op = acquire(Finish.Nothing, 'mkdir', path);
  binding!.mkdirat(op.id, path, mode);
  return settle(op);
}

export function linkat(existing: string | Buffer, newPath: string | Buffer): Promise<void> {
  const op = acquire(Finish.Nothing, 'link', existing, newPath);
  binding!.linkat(op.id, existing, newPath);
  return settle(op);
}

export function symlinkat(target: string | Buffer, path: string | Buffer): Promise<void> {
  const op = acquire(Finish.Nothing, 'symlink', target, path);
  binding!.symlinkat(op.id, target, path);
  return settle(op);
}
