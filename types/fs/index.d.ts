// Public types of `uring-shim/fs` (require): Node's own fs, which it is, with `promises` swapped.
import fs = require('node:fs');
export = fs;
