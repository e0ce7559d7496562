// Stats and BigIntStats objects indistinguishable from Node's: the same prototypes, and own
// properties in the order Node's constructors assign them (lib/internal/fs/utils.js), Dates
// included or not as the running Node does.
import { statSync } from 'node:fs';

const sample = statSync(__filename);
const statsPrototype = Object.getPrototypeOf(sample);
const bigIntStatsPrototype = Object.getPrototypeOf(statSync(__filename, { bigint: true }));
// Node 20 assigns the four Dates in the constructor; Node 22 and later make them on first access,
// through accessors on the prototype (from the *Ms fields). Follow the running Node.
const eagerDates = Object.hasOwn(sample, 'atime');

const kMsPerSec = 1e3;
const kNsPerMs = 1e6;
const kNsPerMsBigInt = 10n ** 6n;
const kNsPerSecBigInt = 10n ** 9n;

function dateFromMs(ms: number | bigint): Date {
  return new Date(Math.round(Number(ms)));
}

export function makeStats(fields: Float64Array | BigInt64Array, index: number, bigint: boolean): object {
  const o = index * 18;
  const s = Object.create(bigint ? bigIntStatsPrototype : statsPrototype);
  s.dev = fields[o];
  s.mode = fields[o + 1];
  s.nlink = fields[o + 2];
  s.uid = fields[o + 3];
  s.gid = fields[o + 4];
  s.rdev = fields[o + 5];
  s.blksize = fields[o + 6];
  s.ino = fields[o + 7];
  s.size = fields[o + 8];
  s.blocks = fields[o + 9];
  if (bigint) {
    const f = fields as BigInt64Array;
    const atimeNs = f[o + 10] * kNsPerSecBigInt + f[o + 11];
    const mtimeNs = f[o + 12] * kNsPerSecBigInt + f[o + 13];
    const ctimeNs = f[o + 14] * kNsPerSecBigInt + f[o + 15];
    const birthtimeNs = f[o + 16] * kNsPerSecBigInt + f[o + 17];
    s.atimeMs = atimeNs / kNsPerMsBigInt;
    s.mtimeMs = mtimeNs / kNsPerMsBigInt;
    s.ctimeMs = ctimeNs / kNsPerMsBigInt;
    s.birthtimeMs = birthtimeNs / kNsPerMsBigInt;
    s.atimeNs = atimeNs;
    s.mtimeNs = mtimeNs;
    s.ctimeNs = ctimeNs;
    s.birthtimeNs = birthtimeNs;
  } else {
    const f = fields as Float64Array;
    s.atimeMs = f[o + 10] * kMsPerSec + f[o + 11] / kNsPerMs;
    s.mtimeMs = f[o + 12] * kMsPerSec + f[o + 13] / kNsPerMs;
    s.ctimeMs = f[o + 14] * kMsPerSec + f[o + 15] / kNsPerMs;
    s.birthtimeMs = f[o + 16] * kMsPerSec + f[o + 17] / kNsPerMs;
  }
  if (eagerDates) {
    s.atime = dateFromMs(s.atimeMs);
    s.mtime = dateFromMs(s.mtimeMs);
    s.ctime = dateFromMs(s.ctimeMs);
    s.birthtime = dateFromMs(s.birthtimeMs);
  }
  return s;
}
