// Node's own implementations, captured before `register` installs the shim over them: the
// fallback path and every delegated call go here, never through the patched modules.
import * as fs from 'node:fs';
import * as fsPromises from 'node:fs/promises';

export const nodeFs: typeof fs = { ...fs };
export const nodePromises: typeof fsPromises = { ...fsPromises };
