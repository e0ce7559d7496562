// Functions the shim installs in place of Node's. Code that reaches fs through a replaceable
// object (streams call `options.fs.read`, as Node's do) asks here whether the function it finds
// is ours, so it can take the ring path directly, or a user's replacement, which it must call.
const ringBacked = new WeakSet<Function>();

export function markRingBacked<T extends Function>(fn: T): T {
  ringBacked.add(fn);
  return fn;
}

export function isRingBacked(fn: unknown): boolean {
  return typeof fn === 'function' && ringBacked.has(fn);
}
