// fs.readFile on the ring, step for step as Node's ReadFileContext (lib/internal/fs/read/
// context.js): open, fstat, reads of at most 512 KiB into one Buffer (64 KiB chunks when the
// size is unknown), close, then the callback. The signal is checked before each read, as Node
// checks it. A descriptor given by the caller is read from its current position and left open;
// Node reports nothing that fails on it after the open (its close step drops the error), and
// neither does this.
import { AsyncResource } from 'node:async_hooks';
import { constants } from 'node:fs';
import { countRing } from '../../counters';
import { AbortError, aggregateTwoErrors, fileTooLargeError } from '../../errors';
import * as ring from '../../ring';
import { fileOptions, openFlags, plainPath } from '../args';
import { kIoMaxLength, kReadFileUnknownBufferLength, statFlags } from '../whole-file';
import { delegate } from './delegate';

const kReadFileBufferLength = 512 * 1024;

class ReadFileContext {
  fd = -1;
  size = 0;
  buffers: Buffer[] | null = null;
  buffer: Buffer | null = null;
  pos = 0;
  err: Error | null = null;
  // The caller's async context, where the callback runs (the steps in between are the shim's).
  readonly scope = new AsyncResource('FSREQCALLBACK');
  constructor(
    readonly callback: ring.Callback,
    readonly encoding: BufferEncoding | undefined,
    readonly isUserFd: boolean,
    readonly signal: AbortSignal | undefined,
  ) {}
}

export function readFile(path: unknown, options: unknown, callback: unknown): void {
  const cb = callback || options;
  const parsed = fileOptions(typeof options === 'function' ? undefined : options);
  const flags = parsed && openFlags(parsed.flag, 'r');
  const isUserFd = typeof path === 'number' && (path | 0) === path;
  const p = isUserFd ? undefined : plainPath(path);
  if (!ring.available || typeof cb !== 'function' || parsed === undefined || flags === undefined ||
      (isUserFd ? (path as number) < 0 : p === undefined)) {
    return delegate('readFile', arguments);
  }
  countRing('readFile');
  const context = new ReadFileContext(cb as ring.Callback, parsed.encoding, isUserFd, parsed.signal);
  if (isUserFd) {
    process.nextTick(startOnUserFd, context, path);
    return;
  }
  if (parsed.signal?.aborted) {
    (cb as ring.Callback)(new AbortError(undefined, { cause: parsed.signal.reason }));
    return;
  }
  ring.openat(p!, flags, 0o666, afterOpen, context);
}

function startOnUserFd(context: ReadFileContext, fd: number): void {
  afterOpen.call(context, null, fd);
}

function afterOpen(this: ReadFileContext, error: Error | null, fd?: number): void {
  // Node calls this one as a method of its context object, so `this` is that object.
  if (error) return this.scope.runInAsyncScope(this.callback, this, error);
  this.fd = fd!;
  // A regular file's size is asked on the spot, as readFile(path) of fs.promises asks it (io-wq
  // would serve the ring's statx); anything else, or a failure, is asked the way Node asks.
  const size = ring.regularSizeNow(fd!);
  if (size >= 0) return sized(this, size);
  ring.statx('fstat', fd!, '', statFlags.fstat, false, afterStat, this);
}

function afterStat(this: ReadFileContext, error: Error | null, stats?: { mode: number; size: number }): void {
  if (error) return close(this, error);
  sized(this, (stats!.mode & constants.S_IFMT) === constants.S_IFREG ? stats!.size : 0);
}

// `size`: a regular file's, 0 for anything else (read until a read returns nothing).
function sized(context: ReadFileContext, size: number): void {
  context.size = size;
  if (size > kIoMaxLength) return close(context, fileTooLargeError(size));
  try {
    if (size === 0) context.buffers = [];
    else context.buffer = Buffer.allocUnsafeSlow(size);
  } catch (allocError) {
    return close(context, allocError as Error);
  }
  read(context);
}

function read(context: ReadFileContext): void {
  if (context.signal?.aborted) return close(context, new AbortError(undefined, { cause: context.signal.reason }));
  let offset: number;
  let length: number;
  if (context.size === 0) {
    context.buffer = Buffer.allocUnsafeSlow(kReadFileUnknownBufferLength);
    offset = 0;
    length = kReadFileUnknownBufferLength;
  } else {
    offset = context.pos;
    length = Math.min(kReadFileBufferLength, context.size - context.pos);
  }
  ring.readInto(context.fd, context.buffer!, offset, length, -1, afterRead, context);
}

function afterRead(this: ReadFileContext, error: Error | null, bytesRead?: number): void {
  if (error) return close(this, error);
  this.pos += bytesRead!;
  if (this.pos === this.size || bytesRead === 0) return close(this);
  if (this.size === 0) {
    this.buffers!.push(bytesRead === kReadFileUnknownBufferLength ? this.buffer! : this.buffer!.subarray(0, bytesRead));
  }
  read(this);
}

function close(context: ReadFileContext, error?: Error): void {
  if (context.isUserFd) {
    process.nextTick(finishOnUserFd, context);
    return;
  }
  context.err = error ?? null;
  ring.close(context.fd, afterClose, context);
}

function finishOnUserFd(context: ReadFileContext): void {
  afterClose.call(context, null);
}

function afterClose(this: ReadFileContext, error: Error | null): void {
  const { callback, scope } = this;
  if (this.err || error) {
    scope.runInAsyncScope(callback, undefined, aggregateTwoErrors(error, this.err));
    return;
  }
  let result: Buffer | string;
  try {
    if (this.size === 0) result = Buffer.concat(this.buffers!, this.pos);
    else if (this.pos < this.size) result = this.buffer!.subarray(0, this.pos);
    else result = this.buffer!;
    if (this.encoding) result = result.toString(this.encoding);
  } catch (resultError) {
    scope.runInAsyncScope(callback, undefined, resultError);
    return;
  }
  scope.runInAsyncScope(callback, undefined, null, result);
}
