// copyFile on the ring, step for step as libuv's uv__fs_copyfile does it (open the source, stat
// it, open the destination with the source's mode, same-file check, truncate, fchmod, copy,
// close both, unlink the destination on failure), every failure reported as Node reports it:
// "<CODE>: <description>, copyfile '<src>' -> '<dest>'".
//
// The data moves through one Buffer the shim owns (read into it, write from it) where libuv
// uses sendfile. That wins for the small and middling files copied most often; a file larger
// than kRingCopyMaxSize, a source that is not a regular file, and the reflink modes go to Node,
// whose in-kernel copy is better there.
import { constants } from 'node:fs';
import { promisify } from 'node:util';
import { uvException } from '../errors';
import * as ring from '../ring';
import { IORING_OP_FTRUNCATE } from '../native';
import { nodeFs } from './originals';
import type { PathArg } from './args';

const kRingCopyMaxSize = 8 * 1024 * 1024;
const kChunk = 1024 * 1024;
const O_CLOEXEC = 0o2000000;
const fchmod = promisify(nodeFs.fchmod);

// Whether the ring can copy with this mode: plain or COPYFILE_EXCL.
export function ringCopyMode(mode: unknown): number | undefined {
  if (mode === undefined) return 0;
  return mode === 0 || mode === constants.COPYFILE_EXCL ? mode : undefined;
}

// Resolves `true` once copied, `false` when Node should do this copy instead (nothing changed).
export async function copyFileOnRing(src: PathArg, dest: PathArg, mode: number): Promise<boolean> {
  const failed = (error: NodeJS.ErrnoException) => uvException(error.errno!, 'copyfile', src, dest);
  const fds = { src: -1, dest: -1 };
  try {
    fds.src = await ring.openat(src, constants.O_RDONLY | O_CLOEXEC, 0);
  } catch (error) {
    throw failed(error as NodeJS.ErrnoException);
  }
  let error: NodeJS.ErrnoException | undefined;
  let copied = false;
  try {
    copied = await copyFromOpenSource(fds, dest, mode);
  } catch (thrown) {
    error = thrown as NodeJS.ErrnoException;
  }
  error = await closeKeepingFirstError(fds.src, error);
  if (fds.dest >= 0) {
    error = await closeKeepingFirstError(fds.dest, error);
    if (error !== undefined) await ring.unlinkat('unlink', dest).catch(() => undefined);
  }
  if (error !== undefined) throw failed(error);
  return copied;
}

// Declines (false) before the destination is touched when Node should copy this file.
async function copyFromOpenSource(fds: { src: number; dest: number }, dest: PathArg, mode: number): Promise<boolean> {
  const source = await ring.statx('fstat', fds.src, '', AT_EMPTY_PATH, false);
  if ((source.mode & constants.S_IFMT) !== constants.S_IFREG || source.size > kRingCopyMaxSize || !ring.supports(IORING_OP_FTRUNCATE)) return false;
  const exclusive = mode === constants.COPYFILE_EXCL;
  const flags = constants.O_WRONLY | constants.O_CREAT | O_CLOEXEC | (exclusive ? constants.O_EXCL : 0);
  fds.dest = await ring.openat(dest, flags, source.mode & 0o7777);
  const target = await ring.statx('fstat', fds.dest, '', AT_EMPTY_PATH, false);
  if (!exclusive) {
    if (source.dev === target.dev && source.ino === target.ino) return true;
    await ring.ftruncate(fds.dest, 0);
  }
  // Open applied the umask; libuv's fchmod gives the destination the source's mode exactly.
  if ((target.mode & 0o7777) !== (source.mode & 0o7777)) await fchmod(fds.dest, source.mode);
  await copyBytes(fds.src, fds.dest, source.size);
  return true;
}

const AT_EMPTY_PATH = 0x1000;

async function copyBytes(srcFd: number, dstFd: number, size: number): Promise<void> {
  if (size === 0) return;
  const buffer = Buffer.allocUnsafeSlow(Math.min(size, kChunk));
  let position = 0;
  while (position < size) {
    const bytesRead = await ring.readInto(srcFd, buffer, 0, Math.min(buffer.length, size - position), position);
    if (bytesRead === 0) return;  // the source shrank meanwhile
    for (let written = 0; written < bytesRead;) {
      written += await ring.writeOwned(dstFd, buffer, written, bytesRead - written, position + written);
    }
    position += bytesRead;
  }
}

async function closeKeepingFirstError(fd: number, firstError: NodeJS.ErrnoException | undefined): Promise<NodeJS.ErrnoException | undefined> {
  try {
    await ring.close(fd);
    return firstError;
  } catch (error) {
    return firstError ?? (error as NodeJS.ErrnoException);
  }
}
