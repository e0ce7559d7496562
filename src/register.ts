// `node --require uring-shim/register` (or --import, or NODE_OPTIONS): installs the ring-backed
// functions over Node's own, in place, so every `require('fs')`, `require('fs').promises`,
// `require('fs/promises')` and -- after syncBuiltinESMExports -- every ESM named import sees
// them. `fs.promises` stays the very `fs/promises` object. Idempotent; prints nothing; adds no
// globals. Synchronous fs stays Node's. node:net's own Socket and Server prototypes get the
// ring hooks (src/net/ring-net.ts), so http, https, tls's servers, undici and every framework
// get ring-backed TCP sockets.
import { syncBuiltinESMExports } from 'node:module';
import * as fsModule from 'node:fs';
import * as fsPromisesModule from 'node:fs/promises';
import * as net from 'node:net';
import * as shim from './fs/promises';
import { callbackApi } from './fs/callback';
import { installStreams } from './streams/install';
import { installOn } from './net/ring-net';

const installed = Symbol.for('uring-shim.registered');
const ringBacked = [
  'open', 'stat', 'lstat', 'readFile', 'writeFile', 'appendFile', 'truncate', 'rename', 'link',
  'symlink', 'unlink', 'rmdir', 'mkdir', 'copyFile',
] as const;

const target = fsPromisesModule as unknown as Record<string, unknown> & { [installed]?: boolean };
if (!target[installed]) {
  for (const name of ringBacked) target[name] = shim[name];
  Object.assign(fsModule, callbackApi);
  installStreams();
  Object.defineProperty(target, installed, { value: true });
  installOn(net.Socket.prototype, net.Server.prototype);
  syncBuiltinESMExports();
}
