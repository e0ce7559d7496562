// Hands a call to Node's own callback function: a malformed call then throws Node's error, and
// anything the ring does not serve behaves exactly as Node's.
import { countDelegated } from '../../counters';
import { nodeFs } from '../originals';

type Fn = (...args: any[]) => any;

export function delegate(api: string, args: IArguments): any {
  countDelegated(api);
  return (nodeFs as unknown as Record<string, Fn>)[api].apply(undefined, args as unknown as any[]);
}
