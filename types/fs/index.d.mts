// Public types of `uring-shim/fs` (import): Node's own fs, named exports and default.
import fs from 'node:fs';
export * from 'node:fs';
export default fs;
