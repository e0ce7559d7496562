// The callback API on the ring: each function where the ring is available, else Node's own.
// Each carries Node's own symbol-keyed properties (the argument names util.promisify resolves
// with for read/write/readv/writev), and is registered as ring-backed so streams recognise it.
import * as ring from '../../ring';
import { nodeFs } from '../originals';
import { markRingBacked } from '../ring-backed';
import { close, open } from './open';
import { read, readv } from './read';
import { write, writev } from './write';
import { fstat, lstat, stat } from './stat';
import { fdatasync, fsync } from './fsync';
import { ftruncate, truncate } from './truncate';
import { link, mkdir, rename, rmdir, symlink, unlink } from './dirs-links';
import { readFile } from './read-file';
import { appendFile, writeFile } from './write-file';
import { copyFile } from './copy-file';

const shimFunctions = {
  open, close, read, readv, write, writev, stat, lstat, fstat, fsync, fdatasync, ftruncate, truncate,
  rename, unlink, rmdir, mkdir, link, symlink, readFile, writeFile, appendFile, copyFile,
};

export type CallbackApiName = keyof typeof shimFunctions;

function adopt(name: CallbackApiName): Function {
  const fn = shimFunctions[name];
  const original = nodeFs[name] as Function;
  for (const key of Object.getOwnPropertySymbols(original)) {
    Object.defineProperty(fn, key, Object.getOwnPropertyDescriptor(original, key)!);
  }
  return markRingBacked(fn);
}

export const callbackApi = Object.fromEntries(Object.keys(shimFunctions).map((name) => {
  const key = name as CallbackApiName;
  return [key, ring.available ? adopt(key) : nodeFs[key]];
})) as { [K in CallbackApiName]: (typeof nodeFs)[K] };
