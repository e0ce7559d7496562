// `uring-shim doctor`: can io_uring be used here, and if not, why; and what the shim will do as
// a result, per family of operations. Everything it reports comes from this very process (the
// same kernel, seccomp filter, sysctls and limits an app started the same way would see).
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { ringSetup, type RingSetup } from '../stats';

// IORING_OP_* by number (include/uapi/linux/io_uring.h); newer ones print as op<N>.
const OPCODE_NAMES = [
  'NOP', 'READV', 'WRITEV', 'FSYNC', 'READ_FIXED', 'WRITE_FIXED', 'POLL_ADD', 'POLL_REMOVE',
  'SYNC_FILE_RANGE', 'SENDMSG', 'RECVMSG', 'TIMEOUT', 'TIMEOUT_REMOVE', 'ACCEPT', 'ASYNC_CANCEL',
  'LINK_TIMEOUT', 'CONNECT', 'FALLOCATE', 'OPENAT', 'CLOSE', 'FILES_UPDATE', 'STATX', 'READ', 'WRITE',
  'FADVISE', 'MADVISE', 'SEND', 'RECV', 'OPENAT2', 'EPOLL_CTL', 'SPLICE', 'PROVIDE_BUFFERS',
  'REMOVE_BUFFERS', 'TEE', 'SHUTDOWN', 'RENAMEAT', 'UNLINKAT', 'MKDIRAT', 'SYMLINKAT', 'LINKAT',
  'MSG_RING', 'FSETXATTR', 'SETXATTR', 'FGETXATTR', 'GETXATTR', 'SOCKET', 'URING_CMD', 'SEND_ZC',
  'SENDMSG_ZC', 'READ_MULTISHOT', 'WAITID', 'FUTEX_WAIT', 'FUTEX_WAKE', 'FUTEX_WAITV',
  'FIXED_FD_INSTALL', 'FTRUNCATE', 'BIND', 'LISTEN', 'RECV_ZC', 'EPOLL_WAIT', 'READV_FIXED',
  'WRITEV_FIXED', 'PIPE',
];
const opcodeName = (op: number): string => OPCODE_NAMES[op] ?? `op${op}`;

// Registered buffers pin 128 x 16 KiB (native/buffer_arena.h); pinned pages count against
// RLIMIT_MEMLOCK unless the process has CAP_IPC_LOCK.
const ARENA_BYTES = 128 * 16 * 1024;

interface Family {
  name: string;
  opcodes: string[];
  // Missing opcodes send the calls to Node one by one (probed) rather than failing them.
  probed?: boolean;
}

const FAMILIES: Family[] = [
  { name: 'fs.promises open, FileHandle.close', opcodes: ['OPENAT', 'CLOSE'] },
  { name: 'fs.promises read/write, readFile/writeFile/appendFile', opcodes: ['READ', 'WRITE', 'READV', 'WRITEV'] },
  { name: 'fs.promises stat, lstat, FileHandle.stat', opcodes: ['STATX'] },
  { name: 'FileHandle.sync, datasync', opcodes: ['FSYNC'] },
  { name: 'fs.promises truncate, FileHandle.truncate', opcodes: ['FTRUNCATE'], probed: true },
  { name: 'fs.promises rename, unlink, rmdir, mkdir, link, symlink', opcodes: ['RENAMEAT', 'UNLINKAT', 'MKDIRAT', 'LINKAT', 'SYMLINKAT'] },
  { name: 'AbortSignal on readFile/writeFile', opcodes: ['ASYNC_CANCEL'] },
  { name: 'fs callback API (fs.readFile, fs.stat, ...)', opcodes: ['OPENAT', 'READ', 'WRITE', 'STATX', 'CLOSE'] },
  { name: 'fs streams (createReadStream, createWriteStream)', opcodes: ['OPENAT', 'READ', 'WRITE', 'CLOSE'] },
  { name: 'net (TCP sockets: accept, connect, send, recv)', opcodes: ['ACCEPT', 'CONNECT', 'SENDMSG', 'RECV'] },
];

interface Outcome { family: string; backend: 'io_uring' | 'node'; note: string }

export interface Report {
  node: string;
  napi: string | undefined;
  platform: string;
  kernel: string;
  seccomp: { mode: number; filters: number } | null;
  ioUringDisabled: number | null;
  memlock: { soft: number; hard: number } | null;
  ring: RingSetup;
  opcodeNames: string[];
  diagnosis: string[];
  families: Outcome[];
  syncFs: string;
  usable: boolean;
}

function read(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function seccomp(): Report['seccomp'] {
  const status = read('/proc/self/status');
  const mode = status && /^Seccomp:\s+(\d+)/m.exec(status);
  if (!mode) return null;
  return { mode: Number(mode[1]), filters: Number(/^Seccomp_filters:\s+(\d+)/m.exec(status!)?.[1] ?? 0) };
}

function memlock(): Report['memlock'] {
  const limits = read('/proc/self/limits');
  const line = limits && /^Max locked memory\s+(\S+)\s+(\S+)/m.exec(limits);
  if (!line) return null;
  const value = (v: string): number => (v === 'unlimited' ? Infinity : Number(v));
  return { soft: value(line[1]), hard: value(line[2]) };
}

// Why the ring is missing or degraded, from the reason the addon gave and what this process sees.
function diagnose(r: Omit<Report, 'diagnosis' | 'families' | 'usable' | 'syncFs'>): string[] {
  const out: string[] = [];
  const reason = r.ring.fallbackReason ?? '';
  if (r.ring.backend === 'node') {
    if (!r.ring.addonLoaded && process.platform === 'linux' && !reason.includes('URING_SHIM_DISABLE')) {
      out.push(`the native addon is not available (${reason}); run \`npm rebuild uring-shim\` after installing cmake, g++, pkg-config and liburing-dev`);
    }
    if (reason.includes('ENOSYS')) {
      out.push(r.seccomp?.mode === 2
        ? 'io_uring_setup returned ENOSYS under a seccomp filter: the filter (e.g. a container runtime profile) hides io_uring, or the kernel lacks CONFIG_IO_URING'
        : 'io_uring_setup returned ENOSYS: the kernel is older than 5.1 or built without CONFIG_IO_URING');
    }
    if (reason.includes('EPERM')) {
      if (r.ioUringDisabled === 2) out.push('kernel.io_uring_disabled=2: io_uring is disabled for every process (sysctl -w kernel.io_uring_disabled=0 as root)');
      else if (r.ioUringDisabled === 1) out.push('kernel.io_uring_disabled=1: only root and members of kernel.io_uring_group may create rings');
      else if (r.seccomp?.mode === 2) out.push('io_uring_setup returned EPERM under a seccomp filter: the container runtime\'s profile blocks io_uring (e.g. Docker: --security-opt seccomp=<profile allowing io_uring_setup/enter/register>)');
      else out.push('io_uring_setup returned EPERM: an LSM (SELinux, AppArmor) or a sandbox refuses io_uring');
    }
    if (reason.includes('ENOMEM')) out.push('io_uring_setup returned ENOMEM: raise RLIMIT_MEMLOCK (ulimit -l) or free memory');
  } else if (!r.ring.buffersRegistered) {
    out.push(`buffers not registered (${r.ring.buffersError}); small reads and writes use plain READ/WRITE instead of the _FIXED forms` +
      (r.memlock && r.memlock.soft < ARENA_BYTES ? `; RLIMIT_MEMLOCK (${r.memlock.soft} bytes) is below the ${ARENA_BYTES} bytes they pin: raise ulimit -l` : ''));
  }
  return out;
}

function outcomes(ring: RingSetup): Outcome[] {
  const supported = new Set(ring.opcodes.map(opcodeName));
  return FAMILIES.map((f): Outcome => {
    if (ring.backend === 'node') return { family: f.name, backend: 'node', note: 'no ring' };
    const missing = f.opcodes.filter((op) => !supported.has(op));
    if (missing.length === 0) return { family: f.name, backend: 'io_uring', note: f.opcodes.join(', ') };
    return f.probed
      ? { family: f.name, backend: 'node', note: `kernel lacks ${missing.join(', ')}` }
      : { family: f.name, backend: 'io_uring', note: `WARNING: kernel lacks ${missing.join(', ')}; these calls will fail` };
  });
}

export function report(): Report {
  const ring = ringSetup();
  const disabled = read('/proc/sys/kernel/io_uring_disabled');
  const base = {
    node: process.version,
    napi: process.versions.napi,
    platform: `${process.platform} ${process.arch}`,
    kernel: release(),
    seccomp: seccomp(),
    ioUringDisabled: disabled === null ? null : Number(disabled.trim()),
    memlock: memlock(),
    ring,
    opcodeNames: ring.opcodes.map(opcodeName),
  };
  return {
    ...base,
    diagnosis: diagnose(base),
    families: outcomes(ring),
    syncFs: "Node's own, always (synchronous calls block the thread either way)",
    usable: ring.backend === 'io_uring',
  };
}

const bytes = (n: number): string => (n === Infinity ? 'unlimited' : n >= 1 << 20 ? `${n / (1 << 20)} MiB` : `${n / 1024} KiB`);

function wrap(words: string[], indent: number, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

export function format(r: Report): string {
  const row = (label: string, value: string): string => `  ${label.padEnd(22)}${value}`;
  const seccompText = r.seccomp === null ? 'unknown'
    : r.seccomp.mode === 0 ? 'none' : r.seccomp.mode === 1 ? 'strict mode' : `filter mode (${r.seccomp.filters} filter${r.seccomp.filters === 1 ? '' : 's'})`;
  const disabledText = r.ioUringDisabled === null ? 'no such sysctl (kernel < 6.6)'
    : `${r.ioUringDisabled} (${['allowed', 'root and io_uring_group only', 'disabled'][r.ioUringDisabled] ?? 'unknown'})`;
  const addon = r.ring.addonLoaded ? `loaded from ${r.ring.addonPath}`
    : existsSync(r.ring.addonPath) ? `not loaded (${r.ring.fallbackReason})` : `not built (no ${r.ring.addonPath})`;
  const lines = [
    'uring-shim doctor',
    '',
    row('Node', `${r.node} (Node-API ${r.napi ?? '?'}), ${r.platform}`),
    row('kernel', r.kernel),
    row('seccomp', seccompText),
    row('io_uring_disabled', disabledText),
    row('RLIMIT_MEMLOCK', r.memlock ? `${bytes(r.memlock.soft)} soft, ${bytes(r.memlock.hard)} hard` : 'unknown'),
    row('addon', addon),
    row('io_uring', r.usable ? 'usable' : `not used: ${r.ring.fallbackReason}`),
  ];
  if (r.usable) {
    lines.push(
      row('setup flags accepted', r.ring.setupFlags.join(' ') || 'none (plain ring)'),
      row('registered buffers', r.ring.buffersRegistered ? `yes (${bytes(ARENA_BYTES)})` : `no: ${r.ring.buffersError}`),
      row(`opcodes (${r.opcodeNames.length})`, wrap(r.opcodeNames, 24)),
    );
  }
  if (r.diagnosis.length) lines.push('', 'Why:', ...r.diagnosis.map((d) => `  - ${d}`));
  const width = Math.max(...r.families.map((f) => f.family.length));
  lines.push('', 'What the shim will do:');
  for (const f of r.families) {
    lines.push(`  ${f.family.padEnd(width)}  ${f.backend === 'io_uring' ? 'ring' : "Node's own"}${f.note ? ` (${f.note})` : ''}`);
  }
  lines.push(`  ${'synchronous fs'.padEnd(width)}  ${r.syncFs}`);
  lines.push('', r.usable
    ? 'Result: io_uring is usable; `node --require uring-shim/register app.js` runs the operations above on the ring.'
    : "Result: io_uring is NOT usable here; uring-shim runs everything through Node's own modules (same results, no speed-up).");
  return lines.join('\n');
}
