// The one place that loads the addon and decides, once per JS environment, whether the ring is
// used. Every reason for not using it ends up in `fallbackReason`, printed (one line) only when
// URING_SHIM_DEBUG is set.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RingInfo {
  completions: Int32Array;
  statsFields: Float64Array;
  statsFieldsBigInt: BigInt64Array;
  arena: Buffer;
  slotSize: number;
  slotCount: number;
  arenaRegistered: boolean;
  arenaError: string;
  setupFlags: string;
  opcodes: number[];
}

export interface RingCounters {
  enters: number;
  completions: number;
  largestBatch: number;
  inFlight: number;
  // Operations this kernel's io_uring refused (EINVAL/EOPNOTSUPP) that ran as system calls on
  // the threadpool, and the kinds now sent there directly.
  servedByThreadpool: number;
  refusedByKernel: string[];
  // Times completions had to wait in the kernel's overflow list because the CQ was full (multishot
  // receives and accepts can outrun it), and completions the kernel could not keep at all (0).
  cqOverflows: number;
  cqDropped: number;
  // Pipes, FIFOs and terminals read or written at their current position, whose wake-ups the
  // ring watches until the shim closes them.
  watchedFiles: number;
}

// What the whole process holds in the kernel through io_uring, every environment's ring together.
export interface KernelMemoryTally {
  rings: number;
  regions: number;
  bytes: number;
}

export interface Binding {
  init(onCompletions: (count: number, start: number) => void): RingInfo | { error: string };
  openat(id: number, path: string | Buffer, flags: number, mode: number, trackFd: boolean): void;
  close(id: number, fd: number): void;
  read(id: number, fd: number, target: ArrayBufferView | number, targetOffset: number, length: number, position: number): void;
  readThenClose(readId: number, closeId: number, fd: number, target: ArrayBufferView, targetOffset: number, length: number, position: number): void;
  regularSizeNow(fd: number): number;
  write(id: number, fd: number, target: ArrayBufferView | number, targetOffset: number, length: number, position: number): void;
  readv(id: number, fd: number, views: readonly ArrayBufferView[], position: number): void;
  writev(id: number, fd: number, views: readonly ArrayBufferView[], position: number): void;
  statx(id: number, fd: number, path: string | Buffer, flags: number, bigint: boolean): void;
  fsync(id: number, fd: number, flags: number): void;
  ftruncate(id: number, fd: number, length: number): void;
  renameat(id: number, from: string | Buffer, to: string | Buffer): void;
  unlinkat(id: number, path: string | Buffer, flags: number): void;
  mkdirat(id: number, path: string | Buffer, mode: number): void;
  linkat(id: number, existing: string | Buffer, newPath: string | Buffer): void;
  symlinkat(id: number, target: string | Buffer, path: string | Buffer): void;
  cancel(id: number): void;
  connect(id: number, fd: number, family: number, host: string, port: number): number;
  accept(id: number, fd: number, weak: boolean): void;
  recv(id: number, fd: number, weak: boolean): number;
  send(id: number, fd: number, view: Uint8Array): void;
  sendmsg(id: number, fd: number, views: readonly Uint8Array[]): void;
  setWeak(id: number, weak: boolean): void;
  pend(id: number): void;
  deferToPoll(id: number): void;
  atClosing(id: number): void;
  reportUncaught(error: unknown): void;
  recvBuffers(): { memory: Buffer; bufSize: number } | number;
  socket(family: number): number;
  bind(fd: number, family: number, host: string, port: number, ipv6Only: boolean): number;
  listen(fd: number, backlog: number): number;
  sockname(fd: number, peer: boolean, out: object): number;
  setNoDelay(fd: number, enable: boolean): number;
  setKeepAlive(fd: number, enable: boolean, delaySeconds: number): number;
  setLinger0(fd: number): number;
  unreadBytes(fd: number, recvId: number): number;
  hungUp(fd: number): boolean;
  closeSync(fd: number, reset?: boolean, heldTcp?: boolean): number;
  shutdownSync(fd: number, how: number): number;
  release(fd: number): void;
  trySend(fd: number, views: readonly Uint8Array[]): number;
  submitNow(): void;
  counters(): RingCounters;
  kernelMemory(): KernelMemoryTally;
}

// Kernel opcodes we check in the probe (include/uapi/linux/io_uring.h).
export const IORING_OP_FTRUNCATE = 55;

function disabledSysctlHint(): string {
  try {
    const value = readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim();
    if (value !== '0') return ` (kernel.io_uring_disabled=${value})`;
  } catch {
    // Kernels before 6.6 have no such sysctl.
  }
  return ' (blocked by a seccomp profile, e.g. a container runtime\'s default, or an old kernel)';
}

// URING_SHIM_ADDON picks another build of the addon (the sanitizer build of `npm run build:asan`).
export const addonPath = process.env.URING_SHIM_ADDON || join(__dirname, '..', '..', 'build', 'Release', 'uring_shim.node');

function loadBinding(): Binding | string {
  if (process.env.URING_SHIM_DISABLE === '1') return 'disabled by URING_SHIM_DISABLE=1';
  if (process.platform !== 'linux') return `io_uring needs Linux (this is ${process.platform})`;
  try {
    return require(addonPath) as Binding;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'MODULE_NOT_FOUND'
      ? 'native addon not built (install cmake, g++ and liburing-dev, then npm rebuild uring-shim)'
      : `native addon failed to load: ${(error as Error).message.split('\n')[0]}`;
  }
}

export interface Native {
  addonLoaded: boolean;
  binding: Binding | null;
  info: RingInfo | null;
  fallbackReason: string | null;
}

export function startRing(onCompletions: (count: number, start: number) => void): Native {
  const loaded = loadBinding();
  let native: Native;
  if (typeof loaded === 'string') {
    native = { addonLoaded: false, binding: null, info: null, fallbackReason: loaded };
  } else {
    const info = loaded.init(onCompletions);
    native = 'error' in info
      ? { addonLoaded: true, binding: null, info: null, fallbackReason: `${info.error}${info.error.includes('EPERM') ? disabledSysctlHint() : ''}` }
      : { addonLoaded: true, binding: loaded, info, fallbackReason: null };
  }
  if (process.env.URING_SHIM_DEBUG) {
    process.stderr.write(native.fallbackReason !== null
      ? `uring-shim: using Node's own fs and net: ${native.fallbackReason}\n`
      : `uring-shim: io_uring ready (${native.info!.setupFlags.trim() || 'no setup flags'}; buffers ${native.info!.arenaRegistered ? 'registered' : `not registered: ${native.info!.arenaError}`})\n`);
  }
  return native;
}
