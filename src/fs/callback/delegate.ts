// Hands a call to Node's own callback function: a malformed call then throws Node's error, and
// anything the ring does not serve behaves exactly as Node's.
import * as liveFs from 'node:fs';
import { countDelegated } from '../../counters';
import { nodeFs } from '../originals';
import { isRingBacked } from '../ring-backed';

type Fn = (...args: any[]) => any;

export function delegate(api: string, args: IArguments): any {
  countDelegated(api);
  return (nodeFs as unknown as Record<string, Fn>)[api].apply(undefined, args as unknown as any[]);
}

// Node's own multi-step functions (writeFile's open/write/fsync/close, truncate's open/close)
// make those steps through the `fs` module object, so a function a user put there in place of
// Node's and the shim's (a mock, a graceful-fs-style wrapper) sees them. This is that function,
// or undefined while the step is Node's or the shim's own.
export function replacedOnFs(name: string): Fn | undefined {
  const fn = (liveFs as unknown as Record<string, Fn>)[name];
  return fn === (nodeFs as unknown as Record<string, Fn>)[name] || isRingBacked(fn) ? undefined : fn;
}
