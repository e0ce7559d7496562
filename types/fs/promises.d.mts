// Public types of `uring-shim/fs/promises` (import): Node's own, default export included.
import * as promises from 'node:fs/promises';
export * from 'node:fs/promises';
export default promises;
