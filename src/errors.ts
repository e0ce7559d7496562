// Errors exactly as Node builds them, in one place.
import { getSystemErrorMap } from 'node:util';

const systemErrors = getSystemErrorMap();

// Matches UVException in Node's src/api/exceptions.cc: "<CODE>: <description>, <syscall>
// '<path>' -> '<dest>'", with errno (negative), code, syscall, path, dest.
export interface SystemError extends NodeJS.ErrnoException {
  dest?: string;
}

export function uvException(errno: number, syscall: string, path?: string | Buffer, dest?: string | Buffer): SystemError {
  const [code, description] = systemErrors.get(errno) ?? [`Unknown system error ${errno}`, `Unknown system error ${errno}`];
  let message = `${code}: ${description}, ${syscall}`;
  const pathText = path === undefined ? undefined : String(path);
  const destText = dest === undefined ? undefined : String(dest);
  if (pathText !== undefined) message += ` '${pathText}'`;
  if (destText !== undefined) message += ` -> '${destText}'`;
  const error: SystemError = new Error(message);
  error.errno = errno;
  error.code = code;
  error.syscall = syscall;
  if (pathText !== undefined) error.path = pathText;
  if (destText !== undefined) error.dest = destText;
  return error;
}

// Matches aggregateTwoErrors in Node's lib/internal/errors.js: an operation's error and the
// error of the close that followed it, both kept, the operation's first.
export function aggregateTwoErrors(innerError: any, outerError: any): any {
  if (innerError && outerError && innerError !== outerError) {
    if (Array.isArray(outerError.errors)) {
      outerError.errors.push(innerError);
      return outerError;
    }
    const error: any = new AggregateError([outerError, innerError], outerError.message);
    error.code = outerError.code;
    return error;
  }
  return innerError || outerError;
}

// Matches AbortError in Node's lib/internal/errors.js.
export class AbortError extends Error {
  code = 'ABORT_ERR';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}

// Matches fsCall in Node's lib/internal/fs/promises.js for a closed FileHandle.
export function fileClosedError(syscall: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error('file closed');
  error.code = 'EBADF';
  error.syscall = syscall;
  return error;
}

// Node's internal errors (lib/internal/errors.js): a built-in error class with an own `code`,
// and "<Name> [<CODE>]: <message>" at the head of the stack.
export function nodeError(Base: ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor, code: string, message: string): Error & { code: string } {
  const error = new Base(message) as Error & { code: string };
  Object.defineProperty(error, 'toString', {
    value(this: Error) { return `${this.name} [${code}]: ${this.message}`; },
    enumerable: false,
    writable: true,
    configurable: true,
  });
  error.code = code;
  if (typeof error.stack === 'string') error.stack = error.stack.replace(`${error.name}:`, `${error.name} [${code}]:`);
  return error;
}

// Matches ERR_FS_FILE_TOO_LARGE.
export function fileTooLargeError(size: number): Error {
  return nodeError(RangeError, 'ERR_FS_FILE_TOO_LARGE', `File size (${size}) is greater than 2 GiB`);
}
