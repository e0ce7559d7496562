// fs.copyFile on the ring (see ../copy-file.ts for what it does and when Node does it instead).
import { countRing } from '../../counters';
import * as ring from '../../ring';
import { plainPath } from '../args';
import { copyFileOnRing, ringCopyMode } from '../copy-file';
import { delegate } from './delegate';
import { settleLater } from './settle-later';

export function copyFile(src: unknown, dest: unknown, mode: unknown, callback: unknown): void {
  let cb = callback;
  let requested = mode;
  if (typeof mode === 'function') {
    cb = mode;
    requested = undefined;
  }
  const from = plainPath(src);
  const to = plainPath(dest);
  const copyMode = ringCopyMode(requested);
  if (!ring.available || from === undefined || to === undefined || copyMode === undefined || typeof cb !== 'function') {
    return delegate('copyFile', arguments);
  }
  const done = cb as (error: Error | null) => void;
  copyFileOnRing(from, to, copyMode).then((copied) => {
    if (copied) {
      countRing('copyFile');
      settleLater(done, null);
    } else {
      delegate('copyFile', [from, to, copyMode, done] as unknown as IArguments);
    }
  }, (error) => settleLater(done, error));
}

