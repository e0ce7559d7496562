// Recognises the well-formed calls the ring serves. Anything else -- wrong types, odd
// overloads, URL paths -- goes to Node's own implementation, which then gives Node's exact
// validation error, so the shim never has to reproduce those messages.
import { constants } from 'node:fs';
import { fileURLToPath } from 'node:url';

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_SYNC } = constants;
// libuv opens everything close-on-exec (uv__fs_open).
const O_CLOEXEC = 0o2000000;

// Matches stringToFlags in Node's lib/internal/fs/utils.js.
const flagTable: Record<string, number> = {
  r: O_RDONLY,
  rs: O_RDONLY | O_SYNC,
  sr: O_RDONLY | O_SYNC,
  'r+': O_RDWR,
  'rs+': O_RDWR | O_SYNC,
  'sr+': O_RDWR | O_SYNC,
  w: O_TRUNC | O_CREAT | O_WRONLY,
  wx: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  xw: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  'w+': O_TRUNC | O_CREAT | O_RDWR,
  'wx+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  'xw+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  a: O_APPEND | O_CREAT | O_WRONLY,
  ax: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  xa: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  as: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  sa: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  'a+': O_APPEND | O_CREAT | O_RDWR,
  'ax+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'xa+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'as+': O_APPEND | O_CREAT | O_RDWR | O_SYNC,
  'sa+': O_APPEND | O_CREAT | O_RDWR | O_SYNC,
};

export type PathArg = string | Buffer;

// A string, Buffer or file: URL path without NUL bytes; undefined otherwise.
export function plainPath(path: unknown): PathArg | undefined {
  if (typeof path === 'string') return path.includes('\u0000') ? undefined : path;
  if (Buffer.isBuffer(path)) return path.includes(0) ? undefined : path;
  if (path instanceof URL && path.protocol === 'file:' && path.hostname === '' && !/%2f|%00/i.test(path.pathname)) {
    return plainPath(fileURLToPath(path));
  }
  return undefined;
}

// open(2) flags for a Node flags argument, or undefined when Node must judge it.
export function openFlags(flags: unknown, fallback: string): number | undefined {
  if (flags === undefined || flags === null) return flagTable[fallback] | O_CLOEXEC;
  if (typeof flags === 'string') {
    const value = flagTable[flags];
    return value === undefined ? undefined : value | O_CLOEXEC;
  }
  if (typeof flags === 'number' && Number.isInteger(flags) && flags >= -(2 ** 31) && flags < 2 ** 31) return flags | O_CLOEXEC;
  return undefined;
}

// Matches parseFileMode for undefined and plain numbers; strings and the rest go to Node.
export function fileMode(mode: unknown, fallback: number): number | undefined {
  if (mode === undefined || mode === null) return fallback;
  if (typeof mode === 'number' && Number.isInteger(mode) && mode >= 0 && mode <= 0xffffffff) return mode;
  return undefined;
}

export function isUint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

// Positions as the binding sees them: a safe integer, else -1 (the current file position).
export function position(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : -1;
}

export function isEncoding(value: unknown): value is BufferEncoding {
  return typeof value === 'string' && Buffer.isEncoding(value);
}

export interface FileOptions {
  encoding: BufferEncoding | undefined;
  flag: string | undefined;
  mode: unknown;
  signal: AbortSignal | undefined;
  flush: boolean;
}

// Matches getOptions for the plain cases: undefined, an encoding name, or a plain object whose
// fields are all of the expected kinds. Undefined when Node must judge them.
export function fileOptions(options: unknown): FileOptions | undefined {
  if (options === undefined || options === null) {
    return { encoding: undefined, flag: undefined, mode: undefined, signal: undefined, flush: false };
  }
  if (typeof options === 'string') {
    return isEncoding(options) ? { encoding: options, flag: undefined, mode: undefined, signal: undefined, flush: false } : undefined;
  }
  if (typeof options !== 'object' || Object.getPrototypeOf(options) !== Object.prototype) return undefined;
  const { encoding, flag, mode, signal, flush } = options as Record<string, unknown>;
  if (encoding !== undefined && encoding !== null && !isEncoding(encoding)) return undefined;
  if (flag !== undefined && flag !== null && (typeof flag !== 'string' || !(flag in flagTable))) return undefined;
  if (signal !== undefined && !(signal instanceof AbortSignal)) return undefined;
  if (flush !== undefined && flush !== null && typeof flush !== 'boolean') return undefined;
  return {
    encoding: (encoding ?? undefined) as BufferEncoding | undefined,
    flag: (flag || undefined) as string | undefined,
    mode,
    signal: signal as AbortSignal | undefined,
    flush: flush === true,
  };
}

// A descriptor the ring can be given as is (Node's binding takes int32s; negative ones are
// Node's to reject or report).
export function isFd(value: unknown): value is number {
  return typeof value === 'number' && (value | 0) === value && value >= 0;
}

// Matches validateInteger(value, name, min) for the safe integers Node accepts.
export function isIntegerAtLeast(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

// Matches validateObject with kValidateObjectAllowNullable.
export function isObjectOrNull(value: unknown): value is Record<string, unknown> | null {
  return value === null || (typeof value === 'object' && !Array.isArray(value));
}

// A position for the ring: a file offset, or -1 for the file's current position (Node maps
// null, and its binding any negative number, to the current position).
export function ringPosition(value: number): number {
  return value < 0 ? -1 : value;
}

// Matches validateBufferArray, up to the iovec count the ring accepts in one operation.
export function isViewArray(value: unknown): value is ArrayBufferView[] {
  return Array.isArray(value) && value.length <= 1024 && value.every((v) => ArrayBuffer.isView(v));
}

// A vectored read of no bytes at all is left to Node: readv(2) still checks the file (EISDIR on
// a directory), while the ring's READV of zero bytes completes with 0 without looking.
export function readsNothing(views: readonly ArrayBufferView[]): boolean {
  return views.every((view) => view.byteLength === 0);
}
