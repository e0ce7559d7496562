// fs.writeFile and fs.appendFile on the ring, step for step as Node's writeFile and writeAll
// (lib/fs.js): open, writes from the current position until everything is written, fsync when
// `flush`, close, then the callback. The signal is checked before each write, as Node checks it.
// A descriptor given by the caller is written from its current position and left open.
import { AsyncResource } from 'node:async_hooks';
import { countRing } from '../../counters';
import { AbortError, aggregateTwoErrors } from '../../errors';
import * as ring from '../../ring';
import { fileMode, fileOptions, openFlags, plainPath } from '../args';
import { delegate, replacedOnFs } from './delegate';

class WriteAllContext {
  fd = -1;
  offset = 0;
  length: number;
  error: Error | null = null;
  // The caller's async context, where the callback runs (the steps in between are the shim's).
  readonly scope = new AsyncResource('FSREQCALLBACK');
  constructor(
    readonly isUserFd: boolean,
    readonly buffer: ArrayBufferView,
    // Bytes the shim encoded itself: the kernel may read them where they are.
    readonly owned: boolean,
    readonly signal: AbortSignal | undefined,
    readonly flush: boolean,
    readonly callback: ring.Callback,
  ) {
    this.length = buffer.byteLength;
  }
}

function writeLike(api: 'writeFile' | 'appendFile', args: IArguments, path: unknown, data: unknown, options: unknown, callback: unknown): void {
  const cb = callback || options;
  const parsed = fileOptions(typeof options === 'function' ? undefined : options);
  const flags = parsed && openFlags(parsed.flag, api === 'writeFile' ? 'w' : 'a');
  const mode = parsed && fileMode(parsed.mode, 0o666);
  const isUserFd = typeof path === 'number' && (path | 0) === path;
  const p = isUserFd ? undefined : plainPath(path);
  if (!ring.available || typeof cb !== 'function' || parsed === undefined || flags === undefined || mode === undefined ||
      !(typeof data === 'string' || ArrayBuffer.isView(data)) || (isUserFd ? (path as number) < 0 : p === undefined)) {
    return delegate(api, args);
  }
  countRing(api);
  const owned = typeof data === 'string';
  const bytes = owned ? Buffer.from(data, parsed.encoding || 'utf8') : data as ArrayBufferView;
  const context = new WriteAllContext(isUserFd, bytes, owned, parsed.signal, parsed.flush, cb as ring.Callback);
  if (isUserFd) {
    context.fd = path as number;
    writeAll(context);
    return;
  }
  if (parsed.signal?.aborted) {
    (cb as ring.Callback)(new AbortError(undefined, { cause: parsed.signal.reason }));
    return;
  }
  const userOpen = replacedOnFs('open');
  if (userOpen) userOpen(path, parsed.flag ?? (api === 'writeFile' ? 'w' : 'a'), parsed.mode, (error: Error | null, fd?: number) => afterOpen.call(context, error, fd));
  else ring.openat(p!, flags, mode, afterOpen, context);
}

export function writeFile(path: unknown, data: unknown, options: unknown, callback: unknown): void {
  writeLike('writeFile', arguments, path, data, options, callback);
}

export function appendFile(path: unknown, data: unknown, options: unknown, callback: unknown): void {
  writeLike('appendFile', arguments, path, data, options, callback);
}

function finish(context: WriteAllContext, error: Error | null): void {
  context.scope.runInAsyncScope(context.callback, undefined, error);
}

function afterOpen(this: WriteAllContext, error: Error | null, fd?: number): void {
  if (error) return finish(this, error);
  this.fd = fd!;
  writeAll(this);
}

function writeAll(context: WriteAllContext): void {
  const { signal } = context;
  if (signal?.aborted) return fail(context, new AbortError(undefined, { cause: signal.reason }));
  const { fd, buffer, offset, length } = context;
  const userWrite = replacedOnFs('write');
  if (userWrite) userWrite(fd, buffer, offset, length, null, (error: Error | null, written?: number) => afterWrite.call(context, error, written));
  else if (context.owned) ring.writeOwned(fd, buffer, offset, length, -1, afterWrite, context);
  else ring.write(fd, buffer, offset, length, -1, afterWrite, context);
}

function afterWrite(this: WriteAllContext, error: Error | null, written?: number): void {
  if (error) return fail(this, error);
  if (written === this.length) {
    if (this.flush) sync(this);
    else succeed(this);
    return;
  }
  this.offset += written!;
  this.length -= written!;
  writeAll(this);
}

function sync(context: WriteAllContext): void {
  const userFsync = replacedOnFs('fsync');
  if (userFsync) userFsync(context.fd, (error: Error | null) => afterSync.call(context, error));
  else ring.fsync('fsync', context.fd, afterSync, context);
}

function afterSync(this: WriteAllContext, error: Error | null): void {
  if (error) fail(this, error);
  else succeed(this);
}

function succeed(context: WriteAllContext): void {
  if (context.isUserFd) finish(context, null);
  else closeFd(context, afterClose);
}

function afterClose(this: WriteAllContext, closeError: Error | null): void {
  finish(this, closeError);
}

function closeFd(context: WriteAllContext, then: (this: WriteAllContext, error: Error | null) => void): void {
  const userClose = replacedOnFs('close');
  if (userClose) userClose(context.fd, (error: Error | null) => then.call(context, error));
  else ring.close(context.fd, then, context);
}

// The operation's error, after closing a descriptor the shim opened (both errors if that
// fails too).
function fail(context: WriteAllContext, error: Error): void {
  if (context.isUserFd) return finish(context, error);
  context.error = error;
  closeFd(context, afterFailedClose);
}

function afterFailedClose(this: WriteAllContext, closeError: Error | null): void {
  finish(this, aggregateTwoErrors(closeError, this.error));
}
