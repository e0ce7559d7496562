// mkdir with `recursive: true`, on the ring, following Node's MKDirpAsync (src/node_file.cc)
// step for step so that results and errors agree: a stack of paths still to create, a stat
// to tell "exists as a directory" from "exists as something else", and the error reported
// against the path whose step failed. Resolves with the first directory created, if any.
import { uvException } from '../errors';
import * as ring from '../ring';
import { constants } from 'node:fs';
import { statFlags } from './whole-file';

const ENOENT = -2;
const EEXIST = -17;
const final = new Set([-13 /* EACCES */, -28 /* ENOSPC */, -20 /* ENOTDIR */, -1 /* EPERM */]);

function errnoOf(promise: Promise<unknown>): Promise<number> {
  return promise.then(() => 0, (error: NodeJS.ErrnoException) => error.errno!);
}

export async function mkdirRecursive(path: string, mode: number): Promise<string | undefined> {
  const pending = [path];
  let firstCreated: string | undefined;
  for (;;) {
    const current = pending.pop()!;
    let err = await errnoOf(ring.mkdirat(current, mode));
    if (err === 0) {
      firstCreated ??= current;
      if (pending.length === 0) return firstCreated;
      continue;
    }
    if (err === ENOENT) {
      // C++'s substr(0, find_last_of('/')): no slash leaves the path as it is.
      const slash = current.lastIndexOf('/');
      const parent = slash < 0 ? current : current.slice(0, slash);
      if (parent !== current) {
        pending.push(current, parent);
        continue;
      }
      if (pending.length > 0) continue;
      err = EEXIST;
    }
    if (final.has(err)) throw uvException(err, 'mkdir', current);
    let stats: { mode: number } | undefined;
    let statErr = 0;
    try {
      stats = await ring.statx('stat', -1, current, statFlags.stat, false);
    } catch (error) {
      statErr = (error as NodeJS.ErrnoException).errno!;
    }
    const isDirectory = stats !== undefined && (stats.mode & constants.S_IFMT) === constants.S_IFDIR;
    if (err === EEXIST && pending.length > 0) {
      if (isDirectory) continue;
      throw uvException(-20 /* ENOTDIR */, 'mkdir', current);
    }
    if (stats !== undefined && !isDirectory) statErr = EEXIST;
    if (statErr !== 0) throw uvException(statErr, 'mkdir', current);
    return firstCreated;
  }
}
