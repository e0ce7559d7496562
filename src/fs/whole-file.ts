// readFile / writeFile on an open descriptor, shared by the path forms and FileHandle.
// Matches readFileHandle and writeFileHandle in Node's lib/internal/fs/promises.js: the same
// abort checks at the same points, the same reads and writes, the same results -- except that
// a file of known size is read with one operation into a Buffer the shim allocated (the kernel
// writes straight into it), where Node reads it 512 KiB at a time.
import { constants } from 'node:fs';
import { AbortError, aggregateTwoErrors, checkAborted, fileTooLargeError } from '../errors';
import * as ring from '../ring';
import { nodePromises } from './originals';

export const kIoMaxLength = 2 ** 31 - 1;
export const kReadFileUnknownBufferLength = 64 * 1024;
const kWriteFileMaxChunkSize = 512 * 1024;
const ECANCELED = 125;
const EINVAL = 22;
const EOPNOTSUPP = 95;

// Operations in flight per signal. A signal gets one shared 'abort' listener while it has any,
// so that many operations sharing a signal do not trip MaxListenersExceededWarning (Node adds
// no listener of its own at all: it checks the signal between steps).
const inFlightBySignal = new WeakMap<AbortSignal, Set<number>>();

function cancelInFlight(this: AbortSignal): void {
  for (const ticket of inFlightBySignal.get(this) ?? []) ring.cancel(ticket);
}

// Runs one ring operation; if `signal` aborts while it is in flight, the operation is cancelled
// and the abort wins, as it does between Node's steps. Without a signal the operation's own
// promise is returned, not one that adopts it.
function abortable<T>(signal: AbortSignal | undefined, start: () => Promise<T>): Promise<T> {
  return signal === undefined ? start() : cancelledOnAbort(signal, start());
}

async function cancelledOnAbort<T>(signal: AbortSignal, pending: Promise<T>): Promise<T> {
  const ticket = ring.cancellableLatest();
  let tickets = inFlightBySignal.get(signal);
  if (tickets === undefined) {
    tickets = new Set();
    inFlightBySignal.set(signal, tickets);
    signal.addEventListener('abort', cancelInFlight, { once: true });
  }
  tickets.add(ticket);
  try {
    return await pending;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).errno === -ECANCELED && signal.aborted) {
      throw new AbortError(undefined, { cause: signal.reason });
    }
    throw error;
  } finally {
    tickets.delete(ticket);
    if (tickets.size === 0) {
      inFlightBySignal.delete(signal);
      signal.removeEventListener('abort', cancelInFlight);
    }
  }
}

// `handle.fd` is read at each step, as Node reads it, so a handle closed meanwhile fails there.
export interface HasFd {
  readonly fd: number;
}

export async function readFileHandle(handle: HasFd, encoding: BufferEncoding | undefined, signal: AbortSignal | undefined): Promise<Buffer | string> {
  checkAborted(signal);
  const stats = await ring.statx('fstat', handle.fd, '', AT_EMPTY_PATH, false);
  checkAborted(signal);
  const size = (stats.mode & constants.S_IFMT) === constants.S_IFREG ? stats.size as number : 0;
  if (size > kIoMaxLength) throw fileTooLargeError(size);
  let buffer: Buffer;
  if (size > 0) {
    buffer = Buffer.allocUnsafeSlow(size);
    let total = 0;
    for (;;) {
      checkAborted(signal);
      const bytesRead = await abortable(signal, () => ring.readInto(handle.fd, buffer, total, size - total, -1));
      total += bytesRead;
      if (bytesRead === 0 || total === size) break;
    }
    if (total !== size) buffer = buffer.subarray(0, total);
  } else {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      checkAborted(signal);
      const chunk = Buffer.allocUnsafeSlow(kReadFileUnknownBufferLength);
      const bytesRead = await abortable(signal, () => ring.readInto(handle.fd, chunk, 0, chunk.length, -1));
      if (bytesRead === 0) break;
      chunks.push(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    buffer = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  }
  return encoding ? decode(buffer, encoding) : buffer;
}

// readFile of a path opened read-only. Once the open is back, the descriptor's type and size
// are asked on the spot (ring.regularSizeNow), where Node asks the threadpool; a regular file
// of known size is then read and closed in one linked submission: two trips to the kernel
// where Node makes four (open, fstat, read, close). Anything else -- size 0 (/proc), a
// special file, a large file -- is read the way Node reads it, from the descriptor.
export async function readFilePath(path: string | Buffer, flags: number, encoding: BufferEncoding | undefined, signal: AbortSignal | undefined): Promise<Buffer | string> {
  checkAborted(signal);
  const fd = await ring.openat(path, flags, 0o666);
  const size = signal?.aborted ? unknown : linkedReadSize(ring.regularSizeNow(fd));
  if (size === unknown) return handleFdClose(readFileHandle({ fd }, encoding, signal), () => ring.close(fd));
  const buffer = Buffer.allocUnsafeSlow(size);
  let bytesRead: number;
  try {
    bytesRead = await abortable(signal, () => ring.readThenClose(fd, buffer, 0, size, -1));
  } catch (error) {
    // A read the ring refused cannot be retried on its own: the linked close has run. Node
    // reads the file afresh, with Node's result or Node's error.
    const errno = (error as NodeJS.ErrnoException).errno;
    if (errno !== -EINVAL && errno !== -EOPNOTSUPP) throw error;
    return nodePromises.readFile(path, { flag: flags, encoding, signal });
  }
  const data = bytesRead === size ? buffer : buffer.subarray(0, bytesRead);
  return encoding ? decode(data, encoding) : data;
}

// Node decodes a file larger than one 512 KiB read chunk by chunk and joins the strings, so a
// result past V8's longest string fails in the join: "RangeError: Invalid string length", not
// Buffer#toString's ERR_STRING_TOO_LONG.
function decode(data: Buffer, encoding: BufferEncoding): string {
  try {
    return data.toString(encoding);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG') throw new RangeError('Invalid string length');
    throw error;
  }
}

const unknown = -1;
// Up to here one read returns the whole of a regular file.
const kLinkedReadMaxSize = 4 * 1024 * 1024;

// `size`: a regular file's, or -1 for any other kind.
function linkedReadSize(size: number): number {
  return size > 0 && size <= kLinkedReadMaxSize ? size : unknown;
}

export async function writeFileHandle(handle: HasFd, data: ArrayBufferView, signal: AbortSignal | undefined): Promise<void> {
  checkAborted(signal);
  let view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let remaining = view.byteLength;
  if (remaining === 0) return;
  do {
    checkAborted(signal);
    const chunk = Math.min(kWriteFileMaxChunkSize, view.byteLength);
    const current = view;
    const bytesWritten = await abortable(signal, () => ring.write(handle.fd, current, 0, chunk, -1));
    remaining -= bytesWritten;
    checkAborted(signal);
    view = new Uint8Array(view.buffer, view.byteOffset + bytesWritten, view.byteLength - bytesWritten);
  } while (remaining > 0);
}

const AT_EMPTY_PATH = 0x1000;
export const statFlags = { stat: 0, lstat: 0x100 /* AT_SYMLINK_NOFOLLOW */, fstat: AT_EMPTY_PATH };

// Matches handleFdClose: the operation's result once the handle is closed; with two errors,
// both, the operation's first.
export function handleFdClose<T>(operation: Promise<T>, close: () => Promise<void>): Promise<T> {
  return operation.then(
    (result) => close().then(() => result),
    (opError) => close().then(() => Promise.reject(opError), (closeError) => Promise.reject(aggregateTwoErrors(closeError, opError))),
  );
}
