// fs.fsync and fs.fdatasync on the ring.
import { countRing } from '../../counters';
import * as ring from '../../ring';
import { isFd } from '../args';
import { delegate } from './delegate';

function syncCall(api: 'fsync' | 'fdatasync', args: IArguments, fd: unknown, callback: unknown): void {
  if (!ring.available || !isFd(fd) || typeof callback !== 'function') return delegate(api, args);
  countRing(api);
  ring.fsync(api, fd, callback as ring.Callback);
}

export function fsync(fd: unknown, callback: unknown): void {
  syncCall('fsync', arguments, fd, callback);
}

export function fdatasync(fd: unknown, callback: unknown): void {
  syncCall('fdatasync', arguments, fd, callback);
}
