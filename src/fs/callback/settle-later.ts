// Calls a user's callback for a multi-step operation that ran on promises inside the shim. From
// the tick queue, not from the promise reaction: a callback that throws then surfaces as an
// uncaught exception, as a throw from Node's own fs callback does, not as a rejected promise.
export function settleLater<T>(callback: (error: Error | null, value?: T) => void, error: Error | null, value?: T): void {
  if (error !== null) process.nextTick(callback, error);
  else if (value === undefined) process.nextTick(callback, null);
  else process.nextTick(callback, null, value);
}
