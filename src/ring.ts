// The JS half of the ring: operation ids, the bridge between borrowed Buffers and ring-owned
// memory, and the one function that settles promises when a batch of completions arrives.
//
// An operation is one call into the addon (which queues an SQE) and one entry in a batch that
// comes back through `onCompletions`. Operation records are pooled by id, so the steady state
// allocates only the promise the caller asked for.
import { uvException } from './errors';
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
  Callback,     // socket ops: hand (res, flags) to `listener`; multishot ops stay until the last
}

// A socket operation's result: `flags` carries IORING_CQE_F_MORE and the provided buffer id.
export type Listener = (res: number, flags: number) => void;
export const CQE_F_BUFFER = 1;
export const CQE_F_MORE = 2;
export const CQE_BUFFER_SHIFT = 16;

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
  listener: Listener = noop;
  resolve: (value: any) => void = noop;
  reject: (reason: unknown) => void = noop;
  constructor(id: number) {
    this.id = id;
  }
}

function noop(): void {}


const operations: Operation[] = [];
const idle: Operation[] = [];

// Settles completions [start, count) of the shared batch. The cursor (the slot after the
// triples) always says where to go on, even when a handler throws.
function onCompletions(count: number, start: number): void {
  const completions = info!.completions;
  const cursor = completions.length - 1;
  for (let i = start; i < count; i++) {
    completions[cursor] = i + 1;
    const op = operations[completions[3 * i]];
    const res = completions[3 * i + 1];
    if (op.finish === Finish.Callback) {
      const flags = completions[3 * i + 2];
      const listener = op.listener;
      if (!(flags & CQE_F_MORE)) release(op);
      listener(res, flags);
      // Node runs the tick queue and microtasks after every libuv callback: a socket event's
      // consequences (a 'finish' that destroys, a nextTick'd 'end') land before the next
      // socket completion is seen. Returning hands the rest back to the addon, which calls
      // again from a fresh callback scope (ticks run in between).
      if (i + 1 < count) return;
    } else {
      complete(op, res, i);
    }
  }
}

function complete(op: Operation, res: number, index: number): void {
  const { resolve, reject } = op;
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
  if (error !== undefined) reject(error);
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
  op.resolve = op.reject = op.listener = noop;
  idle.push(op);
}

function settle<T>(op: Operation): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    op.resolve = resolve;
    op.reject = reject;
  });
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

export function openat(path: string | Buffer, flags: number, mode: number): Promise<number> {
  const op = acquire(Finish.Value, 'open', path);
  binding!.openat(op.id, path, flags, mode);
  return settle(op);
}

export function close(fd: number): Promise<void> {
  const op = acquire(Finish.Nothing, 'close');
  binding!.close(op.id, fd);
  return settle(op);
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
export function readInto(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number): Promise<number> {
  const op = acquire(Finish.Value, 'read');
  op.target = buffer;
  binding!.read(op.id, fd, buffer, offset, length, position);
  return settle(op);
}

// A write of borrowed bytes: copied into ring memory now, so the caller may reuse its Buffer as
// soon as this returns. Larger writes (or every slot busy) pin the caller's Buffer instead.
export function write(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number): Promise<number> {
  const slot = length <= info!.slotSize ? freeSlots.pop() : undefined;
  if (slot === undefined) return writeOwned(fd, buffer, offset, length, position);
  const slotStart = slot * info!.slotSize;
  arenaBytes!.set(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length), slotStart);
  const op = acquire(Finish.FreeSlot, 'write');
  op.slot = slot;
  binding!.write(op.id, fd, slotStart, 0, length, position);
  return settle(op);
}

// A write from memory the shim owns (encoded strings, readFile's own buffers): no copy.
export function writeOwned(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number): Promise<number> {
  const op = acquire(Finish.Value, 'write');
  op.target = buffer;
  binding!.write(op.id, fd, buffer, offset, length, position);
  return settle(op);
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

export function fsync(syscall: 'fsync' | 'fdatasync', fd: number): Promise<void> {
  const op = acquire(Finish.Nothing, syscall);
  binding!.fsync(op.id, fd, syscall === 'fdatasync' ? IORING_FSYNC_DATASYNC : 0);
  return settle(op);
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

// ---- sockets: each returns the operation id (for cancel/setWeak); `listener` gets every result.

function listen(syscall: string, listener: Listener): Operation {
  const op = acquire(Finish.Callback, syscall);
  op.listener = listener;
  return op;
}

export const sockets = binding;

// Returns the id, or a negative errno when the address does not parse (nothing was queued).
export function connect(fd: number, family: 4 | 6, host: string, port: number, listener: Listener): number {
  const op = listen('connect', listener);
  const rc = binding!.connect(op.id, fd, family, host, port);
  if (rc === 0) return op.id;
  release(op);
  return rc;
}

export function accept(fd: number, weak: boolean, listener: Listener): number {
  const op = listen('accept', listener);
  binding!.accept(op.id, fd, weak);
  return op.id;
}

// Returns the id, or a negative errno when the kernel has no provided-buffer rings.
export function recv(fd: number, weak: boolean, listener: Listener): number {
  const op = listen('read', listener);
  const rc = binding!.recv(op.id, fd, weak);
  if (rc === 0) return op.id;
  release(op);
  return rc;
}

// The views stay referenced by the operation until its completion.
export function sendmsg(fd: number, views: readonly Uint8Array[], listener: Listener): number {
  const op = listen('write', listener);
  op.target = views;
  binding!.sendmsg(op.id, fd, views);
  return op.id;
}

export function setWeak(id: number, weak: boolean): void {
  binding!.setWeak(id, weak);
}

let recvMemory: Uint8Array | null | undefined;
let recvBufSize = 0;

// The provided-buffer ring's bytes, or null where the kernel has none (then net stays Node's).
export function receiveBuffers(): Uint8Array | null {
  if (recvMemory === undefined) {
    const got = binding ? binding.recvBuffers() : -1;
    if (typeof got === 'number') {
      recvMemory = null;
    } else {
      recvMemory = new Uint8Array(got.memory.buffer, got.memory.byteOffset, got.memory.byteLength);
      recvBufSize = got.bufSize;
    }
  }
  return recvMemory;
}

// Copies the bytes a receive completion names out of the provided-buffer ring (which gets
// the buffer back right after this batch).
export function takeReceived(res: number, flags: number): Uint8Array {
  const start = (flags >>> CQE_BUFFER_SHIFT) * recvBufSize;
  return recvMemory!.slice(start, start + res);
}
