// Builds test/helpers/seccomp-deny-uring.c (once per source version) into the cache directory
// and returns the launcher's path, or null with a reason when it cannot be built here.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('./seccomp-deny-uring.c', import.meta.url));
const CACHE = process.env.URING_SHIM_CACHE || path.join(os.homedir(), '.cache', 'uring-shim');

export function denyUringLauncher() {
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
    return { launcher: null, reason: `seccomp launcher supports Linux x86_64/aarch64 only (this is ${process.platform}/${process.arch})` };
  }
  const source = fs.readFileSync(SOURCE);
  const hash = crypto.createHash('sha256').update(source).digest('hex').slice(0, 16);
  const launcher = path.join(CACHE, `seccomp-deny-uring-${process.arch}-${hash}`);
  if (fs.existsSync(launcher)) return { launcher, reason: null };
  fs.mkdirSync(CACHE, { recursive: true });
  // Build under a private name and rename, so parallel test files never run a half-written one.
  const partial = `${launcher}.${process.pid}.tmp`;
  const cc = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', partial, SOURCE], { encoding: 'utf8' });
  if (cc.error) return { launcher: null, reason: `no C compiler (cc: ${cc.error.code})` };
  if (cc.status !== 0) throw new Error(`building the seccomp launcher failed:\n${cc.stderr}`);
  fs.renameSync(partial, launcher);
  return { launcher, reason: null };
}
