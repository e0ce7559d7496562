// The JS half of the ring: operation ids, the bridge between borrowed Buffers and ring-owned
// memory, and the one function that settles promises when a batch of completions arrives.
//
// An operation is one call into the addon (which queues an SQE) and one entry in a batch that
// comes back through `onCompletions`. Operation records are pooled by id, so the steady state
// allocates only the promise the caller asked for -- or, in callback mode, where an operation
// reports to the caller's callback directly, Node-style, only the async resource that callback
// runs in (no promise, no closure).
import { AsyncResource } from 'node:async_hooks';
import { aggregateTwoErrors, uvException } from './errors';
import { startRing, type Binding, type KernelMemoryTally, type RingCounters, type RingInfo } from './native';
import { makeStats } from './stats-object';

// What to do with a result. Memory the kernel used directly stays referenced by `target` until
// the completion, whatever the kind.
const enum Finish {
  Value,        // resolve with the result (fd, byte count)
  Nothing,      // resolve with undefined
  Stats,        // resolve with a Stats built from the shared fields
  CopyOut,      // read landed in an arena slot: copy into the caller's buffer, free the slot
  FreeSlot,     // write was copied into an arena slot: free it
  HandOn,       // first of a linked pair: hand the result to the op behind it
  AfterRead,    // close linked behind a read: settle with the read's result and both errors
  Callback,     // socket ops: hand (res, flags) to `listener`; multishot ops stay until the last
}

// A socket operation's result: `flags` carries IORING_CQE_F_MORE and the provided buffer id.
// A listener returns true when it ran no code but the shim's own (a send that completed writes
// already reported done): no tick can be due, so the batch goes on without a fresh callback scope.
export type Listener = (res: number, flags: number) => boolean | void;
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
  next: Operation | null = null;  // HandOn: the op that settles for both
  handedOn = 0;                   // AfterRead: the read's result
  ticket = 0;                     // non-zero while a caller may cancel it (see `cancellable`)
  endsInBatch = 0;                // the batch that carries this socket op's last completion
  listener: Listener = noop;
  resolve: (value: any) => void = noop;
  reject: (reason: unknown) => void = noop;
  // Callback mode: `callback` is called with `receiver` as `this` (undefined for users'
  // callbacks, a context object for the shim's own multi-step operations).
  callback: Callback | null = null;
  receiver: unknown = undefined;
  // read/write/readv/writev report `(err, bytes, buffer)` as Node's wrappers do; this is that
  // third argument (the caller's buffer, string or array), or `noThird`.
  third: unknown = noThird;
  // A user's callback runs in the async context of the call that started the operation (so
  // AsyncLocalStorage stores and async_hooks see what they see under Node, whose request
  // objects are async resources of this very type).
  scope: AsyncResource | null = null;
  constructor(id: number) {
    this.id = id;
  }
}

function noop(): void {}

const noThird = Symbol('noThird');

// Node's fs callback shape: `(err)` for errors and operations with no value, `(null, value)`
// otherwise, `(err, bytes, buffer)` for transfers (bytes 0 on error).
export type Callback = (this: any, error: NodeJS.ErrnoException | null, value?: any, third?: any) => void;

// Sees each Stats that a user's callback-mode, non-bigint stat/lstat/fstat is about to get
// (fs/callback/stat.ts keeps Node's own stat array in step with them).
type StatsObserver = (stats: { mode: number }, syscall: string, path: string | Buffer | undefined) => void;
let statsObserver: StatsObserver | null = null;

export function observeCallbackStats(observer: StatsObserver): void {
  statsObserver = observer;
}

const operations: Operation[] = [];
const idle: Operation[] = [];

// Counts the batches of completions delivered: completions seen in one batch were found in one
// wake-up, as libuv's events of one poll.
let batches = 0;
export function batchNumber(): number {
  return batches;
}

// The two slots after the triples: the cursor (the index of the next entry to settle), and the
// delivery epoch, which moves on each time the task queue has run after a completion's code --
// here, or in the addon when a callback scope closes.
const CURSOR_FROM_END = 2;
const EPOCH_FROM_END = 1;

// Identifies the completion being delivered, together with the ticks and microtasks it queues:
// what a socket writes in that span answers the bytes it was just handed (stream-handle.ts).
export function deliveryEpoch(): number {
  return info!.completions[info!.completions.length - EPOCH_FROM_END];
}

// Whether the batch being delivered carries the last completion of socket op `id` -- for a
// receive, the end of stream or error its socket will see once the completions ahead of it
// have run.
export function endsThisBatch(id: number): boolean {
  return operations[id].endsInBatch === batches;
}

// Node runs its task queue (nextTicks, then microtasks) as a callback's outermost scope closes,
// through `process._tickCallback`. The batch runs it from JS where Node would close a scope but
// the batch is still inside its own (after a socket completion; at a parser callback): cheaper
// than a fresh scope per completion. Under --pending-deprecation that property is a deprecated
// wrapper that warns, and the batch then lets its scope close instead (taskQueueRunnable).
const tickCallback = (process as unknown as { _tickCallback?: () => void })._tickCallback;
const nodeTaskQueue = typeof tickCallback === 'function' && tickCallback.name === 'runNextTicks' ? tickCallback : null;
export const taskQueueRunnable = nodeTaskQueue !== null;

// A tick that throws is reported the moment it throws, as Node reports one thrown where no
// TryCatch is; its handling also clears the async context the tick left on the stack, which
// would otherwise fail the check made as the batch's scope closes. Ticks after it stay queued.
export function runTaskQueue(): void {
  try {
    nodeTaskQueue!();
  } catch (error) {
    binding!.reportUncaught(error);
  }
}

// Settles completions [start, count) of the shared batch. The cursor always says where to go
// on, even when a socket handler throws (the addon reports it as Node reports any callback's
// exception, then calls again from the cursor). An fs callback that throws is rethrown on its
// own from the tick queue, which Node runs right after this call, so it still reaches
// 'uncaughtException' (or ends the process) as a throw from Node's own fs callback would, and
// the batch goes on.
function onCompletions(count: number, start: number): void {
  const completions = info!.completions;
  if (start === 0) {
    batches++;
    // Socket ops this batch ends (a receive's end of stream or error, still to be delivered):
    // see `endsThisBatch`.
    for (let i = 0; i < count; i++) {
      const op = operations[completions[3 * i]];
      if (op.finish === Finish.Callback && !(completions[3 * i + 2] & CQE_F_MORE)) op.endsInBatch = batches;
    }
  }
  const cursor = completions.length - CURSOR_FROM_END;
  for (let i = start; i < count; i++) {
    completions[cursor] = i + 1;
    const op = operations[completions[3 * i]];
    const res = completions[3 * i + 1];
    if (op.finish === Finish.Callback) {
      const flags = completions[3 * i + 2];
      const listener = op.listener;
      if (!(flags & CQE_F_MORE)) release(op);
      // Node runs the tick queue and microtasks after every libuv callback: a socket event's
      // consequences (a 'finish' that destroys, a nextTick'd 'end') land before the next
      // socket completion is seen. Where the queue cannot be run from here, returning hands the
      // rest back to the addon, which calls again from a fresh callback scope.
      if (listener(res, flags) === true) continue;
      if (taskQueueRunnable) {
        runTaskQueue();
        completions[completions.length - EPOCH_FROM_END]++;
      } else if (i + 1 < count) {
        return;
      }
      continue;
    }
    try {
      complete(op, res, i);
    } catch (error) {
      process.nextTick(rethrow, error);
    }
  }
}

function rethrow(error: unknown): never {
  throw error;
}

function complete(op: Operation, res: number, index: number): void {
  const { resolve, reject } = op;
  let value: unknown;
  switch (op.finish) {
    case Finish.Value: value = res; break;
    case Finish.Nothing: value = undefined; break;
    case Finish.Stats:
      if (res >= 0) {
        value = makeStats(op.bigint ? info!.statsFieldsBigInt : info!.statsFields, index, op.bigint);
        if (statsObserver !== null && op.callback !== null && op.receiver === undefined && !op.bigint) statsObserver(value as { mode: number }, op.syscall, op.path);
      }
      break;
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
    case Finish.HandOn: op.next!.handedOn = res; release(op); return;
    case Finish.AfterRead: {
      const read = op.handedOn;
      const readError = read < 0 ? uvException(read, 'read') : undefined;
      const closeError = res < 0 ? uvException(res, 'close') : undefined;
      const settleRead = readError === undefined ? op.resolve : op.reject;
      const reject = op.reject;
      release(op);
      if (closeError !== undefined) reject(aggregateTwoErrors(closeError, readError));
      else settleRead(readError ?? read);
      return;
    }
  }
  const error = res < 0 ? uvException(res, op.syscall, op.path, op.dest) : undefined;
  const { callback, receiver, third, scope } = op;
  release(op);
  if (callback !== null) {
    if (scope === null) report(callback, receiver, error, value, third);
    else scope.runInAsyncScope(report, undefined, callback, receiver, error, value, third);
  } else if (error !== undefined) reject(error);
  else resolve(value);
}

function report(callback: Callback, receiver: unknown, error: NodeJS.ErrnoException | undefined, value: unknown, third: unknown): void {
  if (third !== noThird) callback.call(receiver, error ?? null, error === undefined ? value : 0, third);
  else if (error !== undefined) callback.call(receiver, error);
  else if (value === undefined) callback.call(receiver, null);
  else callback.call(receiver, null, value);
}

function acquire(finish: Finish, syscall: string, path?: string | Buffer, dest?: string | Buffer): Operation {
  const op = idle.pop() ?? newOperation();
  op.finish = finish;
  op.syscall = syscall;
  op.path = path;
  op.dest = dest;
  latest = op;
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
  op.next = null;
  op.slot = -1;
  // The idle pool hands this id out again at once (a receive re-armed in this very batch).
  op.endsInBatch = 0;
  if (op.ticket !== 0) {
    cancellable.delete(op.ticket);
    op.ticket = 0;
  }
  op.resolve = op.reject = op.listener = noop;
  op.callback = null;
  op.receiver = undefined;
  op.third = noThird;
  op.scope = null;
  idle.push(op);
}

// Where an operation reports: a new promise, or the callback the caller gave (then nothing is
// returned). `third` is what a transfer's callback gets back as its third argument (the buffer,
// string or array the caller passed). A callback with a `receiver` is one of the shim's own
// steps, called directly; without one it is a user's, called in the caller's async context.
function settle<T>(op: Operation, callback?: Callback, receiver?: unknown, third: unknown = noThird): Promise<T> | void {
  if (callback !== undefined) {
    op.callback = callback;
    op.receiver = receiver;
    op.third = third;
    if (receiver === undefined) op.scope = new AsyncResource('FSREQCALLBACK');
    return undefined;
  }
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
export const addonLoaded = native.addonLoaded;
export const ringInfo = info;

export function supports(opcode: number): boolean {
  return info !== null && info.opcodes.includes(opcode);
}

export function counters(): RingCounters {
  return binding ? binding.counters() : { enters: 0, completions: 0, largestBatch: 0, inFlight: 0, servedByThreadpool: 0, refusedByKernel: [], cqOverflows: 0, cqDropped: 0, watchedFiles: 0 };
}

export function kernelMemory(): KernelMemoryTally {
  return binding ? binding.kernelMemory() : { rings: 0, regions: 0, bytes: 0 };
}

let latest: Operation | null = null;
let lastTicket = 0;
// Operations a caller may still cancel, by ticket. Ids are reused the moment an operation
// completes, tickets never are: a cancel that comes late cannot reach an unrelated operation.
const cancellable = new Map<number, Operation>();

// A ticket for the most recently started operation, to pass to `cancel` later.
export function cancellableLatest(): number {
  const op = latest!;
  op.ticket = ++lastTicket;
  cancellable.set(op.ticket, op);
  return op.ticket;
}

export function cancel(ticket: number): void {
  const op = cancellable.get(ticket);
  if (op !== undefined) binding!.cancel(op.id);
}

// A socket's own operation, by id: the socket forgets the id when the op's last completion
// arrives, so the id is never stale here (and the addon's generation check covers the kernel).
export function cancelOperation(id: number): void {
  binding!.cancel(id);
}

// ---- operations -----------------------------------------------------------------------------

export function openat(path: string | Buffer, flags: number, mode: number): Promise<number>;
export function openat(path: string | Buffer, flags: number, mode: number, callback: Callback, receiver?: unknown): void;
export function openat(path: string | Buffer, flags: number, mode: number, callback?: Callback, receiver?: unknown): Promise<number> | void {
  const op = acquire(Finish.Value, 'open', path);
  // A promise-form open makes a FileHandle's (or the shim's own) descriptor, which the ring
  // closes if its environment goes away first; a callback-form open hands the program a raw fd.
  binding!.openat(op.id, path, flags, mode, callback === undefined);
  return settle(op, callback, receiver);
}

export function close(fd: number): Promise<void>;
export function close(fd: number, callback: Callback, receiver?: unknown): void;
export function close(fd: number, callback?: Callback, receiver?: unknown): Promise<void> | void {
  const op = acquire(Finish.Nothing, 'close');
  binding!.close(op.id, fd);
  return settle(op, callback, receiver);
}

// A read into a Buffer the caller lent: it lands in ring memory and is copied out before the
// promise settles, so the caller's Buffer is never a kernel target. Past a slot's size (or with
// every slot busy) the caller's Buffer is pinned instead and the kernel writes into it.
export function read(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number): Promise<number>;
export function read(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number, callback: Callback, receiver?: unknown, third?: unknown): void;
export function read(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number, callback?: Callback, receiver?: unknown, third?: unknown): Promise<number> | void {
  const slot = length <= info!.slotSize ? freeSlots.pop() : undefined;
  if (slot === undefined) {
    return callback === undefined ? readInto(fd, buffer, offset, length, position) : readInto(fd, buffer, offset, length, position, callback, receiver, third);
  }
  const op = acquire(Finish.CopyOut, 'read');
  op.slot = slot;
  op.target = buffer;
  op.targetOffset = offset;
  binding!.read(op.id, fd, slot * info!.slotSize, 0, length, position);
  return settle(op, callback, receiver, third);
}

// A read into memory the shim itself allocated (readFile, streams): no copy.
export function readInto(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number): Promise<number>;
export function readInto(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number, callback: Callback, receiver?: unknown, third?: unknown): void;
export function readInto(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number, callback?: Callback, receiver?: unknown, third?: unknown): Promise<number> | void {
  const op = acquire(Finish.Value, 'read');
  op.target = buffer;
  binding!.read(op.id, fd, buffer, offset, length, position);
  return settle(op, callback, receiver, third);
}

// readInto, then close(fd) whatever the read's outcome, in one submission (hard-linked SQEs):
// for a descriptor only the shim knows, read once to the end (readFile of a file of known
// size). Settles as Node's read-then-close does: the read's result, or the read's error, or
// the close's error joined to it. The read is what a caller cancels (cancellableLatest).
export function readThenClose(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number): Promise<number> {
  const closeOp = acquire(Finish.AfterRead, 'close');
  const readOp = acquire(Finish.HandOn, 'read');
  readOp.target = buffer;
  readOp.next = closeOp;
  binding!.readThenClose(readOp.id, closeOp.id, fd, buffer, offset, length, position);
  return settle(closeOp) as Promise<number>;
}

// The size of an open regular file, asked synchronously (see RegularSizeNow in the addon); -1
// for anything else or when the kernel cannot say.
export function regularSizeNow(fd: number): number {
  return binding!.regularSizeNow(fd);
}

// A write of borrowed bytes: copied into ring memory now, so the caller may reuse its Buffer as
// soon as this returns. Larger writes (or every slot busy) pin the caller's Buffer instead.
export function write(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number): Promise<number>;
export function write(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number, callback: Callback, receiver?: unknown, third?: unknown): void;
export function write(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number, callback?: Callback, receiver?: unknown, third?: unknown): Promise<number> | void {
  const slot = length <= info!.slotSize ? freeSlots.pop() : undefined;
  if (slot === undefined) {
    return callback === undefined ? writeOwned(fd, buffer, offset, length, position) : writeOwned(fd, buffer, offset, length, position, callback, receiver, third);
  }
  const slotStart = slot * info!.slotSize;
  arenaBytes!.set(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length), slotStart);
  const op = acquire(Finish.FreeSlot, 'write');
  op.slot = slot;
  binding!.write(op.id, fd, slotStart, 0, length, position);
  return settle(op, callback, receiver, third);
}

// A write from memory the shim owns (encoded strings, readFile's own buffers): no copy.
export function writeOwned(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number): Promise<number>;
export function writeOwned(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number, callback: Callback, receiver?: unknown, third?: unknown): void;
export function writeOwned(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number, callback?: Callback, receiver?: unknown, third?: unknown): Promise<number> | void {
  const op = acquire(Finish.Value, 'write');
  op.target = buffer;
  binding!.write(op.id, fd, buffer, offset, length, position);
  return settle(op, callback, receiver, third);
}

export function readv(fd: number, buffers: readonly ArrayBufferView[], position: number): Promise<number>;
export function readv(fd: number, buffers: readonly ArrayBufferView[], position: number, callback: Callback, receiver?: unknown, third?: unknown): void;
export function readv(fd: number, buffers: readonly ArrayBufferView[], position: number, callback?: Callback, receiver?: unknown, third?: unknown): Promise<number> | void {
  const op = acquire(Finish.Value, 'read');
  op.target = buffers;
  binding!.readv(op.id, fd, buffers, position);
  return settle(op, callback, receiver, third);
}

export function writev(fd: number, buffers: readonly ArrayBufferView[], position: number): Promise<number>;
export function writev(fd: number, buffers: readonly ArrayBufferView[], position: number, callback: Callback, receiver?: unknown, third?: unknown): void;
export function writev(fd: number, buffers: readonly ArrayBufferView[], position: number, callback?: Callback, receiver?: unknown, third?: unknown): Promise<number> | void {
  const op = acquire(Finish.Value, 'write');
  op.target = buffers;
  binding!.writev(op.id, fd, buffers, position);
  return settle(op, callback, receiver, third);
}

// statx: `path` '' with AT_EMPTY_PATH stats `fd` itself.
export function statx(syscall: 'stat' | 'lstat' | 'fstat', fd: number, path: string | Buffer, flags: number, bigint: boolean): Promise<any>;
export function statx(syscall: 'stat' | 'lstat' | 'fstat', fd: number, path: string | Buffer, flags: number, bigint: boolean, callback: Callback, receiver?: unknown): void;
export function statx(syscall: 'stat' | 'lstat' | 'fstat', fd: number, path: string | Buffer, flags: number, bigint: boolean, callback?: Callback, receiver?: unknown): Promise<any> | void {
  const op = acquire(Finish.Stats, syscall, syscall === 'fstat' ? undefined : path);
  op.bigint = bigint;
  binding!.statx(op.id, fd, path, flags, bigint);
  return settle(op, callback, receiver);
}

export function fsync(syscall: 'fsync' | 'fdatasync', fd: number): Promise<void>;
export function fsync(syscall: 'fsync' | 'fdatasync', fd: number, callback: Callback, receiver?: unknown): void;
export function fsync(syscall: 'fsync' | 'fdatasync', fd: number, callback?: Callback, receiver?: unknown): Promise<void> | void {
  const op = acquire(Finish.Nothing, syscall);
  binding!.fsync(op.id, fd, syscall === 'fdatasync' ? IORING_FSYNC_DATASYNC : 0);
  return settle(op, callback, receiver);
}

const IORING_FSYNC_DATASYNC = 1;

export function ftruncate(fd: number, length: number): Promise<void>;
export function ftruncate(fd: number, length: number, callback: Callback, receiver?: unknown): void;
export function ftruncate(fd: number, length: number, callback?: Callback, receiver?: unknown): Promise<void> | void {
  const op = acquire(Finish.Nothing, 'ftruncate');
  binding!.ftruncate(op.id, fd, length);
  return settle(op, callback, receiver);
}

export function renameat(from: string | Buffer, to: string | Buffer): Promise<void>;
export function renameat(from: string | Buffer, to: string | Buffer, callback: Callback, receiver?: unknown): void;
export function renameat(from: string | Buffer, to: string | Buffer, callback?: Callback, receiver?: unknown): Promise<void> | void {
  const op = acquire(Finish.Nothing, 'rename', from, to);
  binding!.renameat(op.id, from, to);
  return settle(op, callback, receiver);
}

export function unlinkat(syscall: 'unlink' | 'rmdir', path: string | Buffer): Promise<void>;
export function unlinkat(syscall: 'unlink' | 'rmdir', path: string | Buffer, callback: Callback, receiver?: unknown): void;
export function unlinkat(syscall: 'unlink' | 'rmdir', path: string | Buffer, callback?: Callback, receiver?: unknown): Promise<void> | void {
  const op = acquire(Finish.Nothing, syscall, path);
  binding!.unlinkat(op.id, path, syscall === 'rmdir' ? AT_REMOVEDIR : 0);
  return settle(op, callback, receiver);
}

const AT_REMOVEDIR = 0x200;

export function mkdirat(path: string | Buffer, mode: number): Promise<void>;
export function mkdirat(path: string | Buffer, mode: number, callback: Callback, receiver?: unknown): void;
export function mkdirat(path: string | Buffer, mode: number, callback?: Callback, receiver?: unknown): Promise<void> | void {
  const op = acquire(Finish.Nothing, 'mkdir', path);
  binding!.mkdirat(op.id, path, mode);
  return settle(op, callback, receiver);
}

export function linkat(existing: string | Buffer, newPath: string | Buffer): Promise<void>;
export function linkat(existing: string | Buffer, newPath: string | Buffer, callback: Callback, receiver?: unknown): void;
export function linkat(existing: string | Buffer, newPath: string | Buffer, callback?: Callback, receiver?: unknown): Promise<void> | void {
  const op = acquire(Finish.Nothing, 'link', existing, newPath);
  binding!.linkat(op.id, existing, newPath);
  return settle(op, callback, receiver);
}

export function symlinkat(target: string | Buffer, path: string | Buffer): Promise<void>;
export function symlinkat(target: string | Buffer, path: string | Buffer, callback: Callback, receiver?: unknown): void;
export function symlinkat(target: string | Buffer, path: string | Buffer, callback?: Callback, receiver?: unknown): Promise<void> | void {
  const op = acquire(Finish.Nothing, 'symlink', target, path);
  binding!.symlinkat(op.id, target, path);
  return settle(op, callback, receiver);
}

// ---- sockets: each returns the operation id (for cancel/setWeak); `listener` gets every result.

function listen(syscall: string, listener: Listener): Operation {
  const op = acquire(Finish.Callback, syscall);
  op.listener = listener;
  return op;
}

export const sockets = binding;

// Returns the id, or a negative errno when the address does not parse (nothing was queued).
export function connect(fd: number, family: 0 | 4 | 6, host: string, port: number, listener: Listener): number {
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

// Runs `callback` where libuv runs a stream's deferred work (its pending queue): at the start
// of the next loop turn, or right after this turn's poll when called from a completion.
export function pending(callback: () => void): void {
  const op = listen('pending', callback);
  binding!.pend(op.id);
}

// Runs `callback` in this loop turn's closing phase, where libuv runs a closed handle's
// callback (its next turn's, when called from within that phase).
export function atClosing(callback: () => void): void {
  const op = listen('close', callback);
  binding!.atClosing(op.id);
}

// Runs `callback` where libuv's next read of a stream would run: in the loop's next poll phase.
export function nextPoll(callback: () => void): void {
  const op = listen('poll', callback);
  binding!.deferToPoll(op.id);
}

// The views stay referenced by the operation until its completion.
export function sendmsg(fd: number, views: readonly Uint8Array[], listener: Listener): number {
  const op = listen('write', listener);
  op.target = views;
  if (views.length === 1) binding!.send(op.id, fd, views[0]);
  else binding!.sendmsg(op.id, fd, views);
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
