// What the shim did, by Node API name: carried on the ring or served by Node's own code.
export const ringCalls: Record<string, number> = Object.create(null);
export const delegatedCalls: Record<string, number> = Object.create(null);

export function countRing(api: string): void {
  ringCalls[api] = (ringCalls[api] ?? 0) + 1;
}

export function countDelegated(api: string): void {
  delegatedCalls[api] = (delegatedCalls[api] ?? 0) + 1;
}

// A call first counted on the ring that Node's own code then took over.
export function countHandedBack(api: string): void {
  ringCalls[api] -= 1;
  countDelegated(api);
}
