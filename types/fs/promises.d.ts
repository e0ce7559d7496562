// Public types of `uring-shim/fs/promises` (require): Node's own, since it is a drop-in. The
// implementation's declarations take `unknown` because it validates arguments at run time, as
// Node does, and hands malformed calls to Node.
export * from 'node:fs/promises';
