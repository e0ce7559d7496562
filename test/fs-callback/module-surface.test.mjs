// The ESM faces of `uring-shim/fs` (and, alike, `uring-shim/net`) name exactly what the running Node's
// node:fs and node:net do (Node 22 added fs.glob, Node 24 dropped fs.F_OK and added
// net.BoundSocket): a name they do not replace is Node's own binding, and the default export is
// the CJS module. test/versions runs this on Node 22 and 24 too.
import t from 'tap';
import * as nodeFs from 'node:fs';
import * as nodeNet from 'node:net';
import * as shimFs from 'uring-shim/fs';
import * as shimNet from 'uring-shim/net';
import { stats } from 'uring-shim';

// Without the ring (test/faults runs this under a fallback) the fs functions are Node's own.
const ringOn = stats().backend === 'io_uring';

for (const [name, node, shim, replaced] of [
  ['fs', nodeFs, shimFs, ['open', 'readFile', 'stat', 'createReadStream', 'ReadStream', 'promises']],
  ['net', nodeNet, shimNet, ['Socket', 'Server', 'connect', 'createServer']],
]) {
  t.test(`uring-shim/${name}`, async (t) => {
    t.strictSame(Object.keys(shim).sort(), Object.keys(node).sort(), 'the same export names as the running Node');
    if (ringOn || name === 'net') for (const key of replaced) t.not(shim[key], node[key], `${key} is the shim's`);
    const own = Object.keys(node).filter((k) => k !== 'default' && !replaced.includes(k) && shim[k] === node[k]);
    t.ok(own.length > 10, `the rest is Node's own (${own.length} names)`);
    for (const key of Object.keys(shim.default)) {
      if (key in shim && key !== 'default') t.equal(shim[key], shim.default[key], `${key}: the named export is the CJS module's`);
    }
  });
}
