// Under `node --require uring-shim/register`: require('fs') and ESM imports of node:fs carry
// the shim's callback functions, fs.promises is still fs/promises, register is idempotent and
// silent, the sync API is Node's, and the results are Node's.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const pkgRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const register = `${pkgRoot}/dist/cjs/register.js`;
const API = ['open', 'close', 'read', 'readv', 'write', 'writev', 'stat', 'lstat', 'fstat', 'fsync', 'fdatasync',
  'ftruncate', 'truncate', 'rename', 'unlink', 'rmdir', 'mkdir', 'link', 'symlink', 'readFile', 'writeFile', 'appendFile'];

// A workload over the callback API; shipped to the child via toString().
function workload(fs, d, done) {
  const out = [];
  fs.writeFile(`${d}/a`, 'hello world', (e1) => {
    out.push(e1);
    fs.open(`${d}/a`, 'r+', (e2, fd) => {
      fs.read(fd, Buffer.alloc(5), 0, 5, 6, (e3, n, b) => {
        out.push(e3, n, b.toString());
        fs.write(fd, 'HE', 0, (e4, w, s) => {
          out.push(e4, w, s);
          fs.fstat(fd, (e5, st) => {
            out.push(e5, st.size);
            fs.close(fd, (e6) => {
              out.push(e6);
              fs.readFile(`${d}/a`, 'utf8', (e7, text) => {
                out.push(e7, text);
                fs.stat(`${d}/missing`, (e8) => {
                  out.push([e8.code, e8.syscall, e8.message.replace(d, '<D>')]);
                  done(out);
                });
              });
            });
          });
        });
      });
    });
  });
}

function tmpDir(t) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-reg-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test('--require register', async (t) => {
  const d = tmpDir(t);
  const src = `
    require(${JSON.stringify(register)}); // a second time: idempotent
    const fs = require('fs');
    const shimFs = require(${JSON.stringify(`${pkgRoot}/dist/cjs/fs/index.js`)});
    const { isRingBacked } = require(${JSON.stringify(`${pkgRoot}/dist/cjs/fs/ring-backed.js`)});
    const names = ${JSON.stringify(API)};
    const workload = ${workload.toString()};
    (async () => {
      const esm = await import('node:fs');
      const checks = {
        notRingBacked: names.filter((n) => !isRingBacked(fs[n])),
        notShims: names.filter((n) => fs[n] !== shimFs[n]),
        esmDiffers: names.filter((n) => esm[n] !== fs[n] || esm.default[n] !== fs[n]),
        promisesIsFsPromises: fs.promises === require('fs/promises'),
        syncRingBacked: ['readSync', 'writeSync', 'openSync', 'statSync'].filter((n) => isRingBacked(fs[n])),
        copyFileRingBacked: isRingBacked(fs.copyFile),
      };
      workload(fs, process.argv[1], (out) => {
        const { stats } = require(${JSON.stringify(pkgRoot)});
        const s = stats();
        console.log(JSON.stringify({ checks, out, ring: s.ring, backend: s.backend }));
      });
    })();`;
  const r = spawnSync(process.execPath, ['--require', register, '-e', src, d], { encoding: 'utf8', cwd: pkgRoot });
  t.equal(r.status, 0, `child exited cleanly ${r.stderr}`);
  t.equal(r.stderr, '', 'nothing printed on stderr');
  const lines = r.stdout.trim().split('\n');
  t.equal(lines.length, 1, 'nothing printed on stdout but the result');
  const { checks, out, ring, backend } = JSON.parse(lines[0]);
  if (backend === 'io_uring') {
    t.strictSame(checks.notRingBacked, [], 'every callback function is ring-backed');
    for (const api of ['writeFile', 'open', 'read', 'write', 'fstat', 'close', 'readFile', 'stat']) t.ok(ring[api] > 0, `ring.${api} > 0`);
  }
  t.strictSame(checks.notShims, [], 'require(\'fs\') has uring-shim/fs\'s functions');
  t.strictSame(checks.esmDiffers, [], 'ESM named and default imports see them');
  t.ok(checks.promisesIsFsPromises, 'fs.promises === require(\'fs/promises\')');
  t.strictSame(checks.syncRingBacked, [], 'sync API untouched');
  t.equal(checks.copyFileRingBacked, backend === 'io_uring', 'copyFile is the shim\'s exactly when the ring is available');
  const d2 = tmpDir(t);
  const expected = await new Promise((resolve) => workload(fs, d2, resolve));
  t.strictSame(out, JSON.parse(JSON.stringify(expected)), 'results are Node\'s');
});

// Node's callback realpath relies on the stat array its own fs.stat leaves behind to stop at a
// pipe (/dev/stdin -> /proc/<pid>/fd/0 -> 'pipe:[…]'); the shim's stat must keep that working,
// and must not leave a pipe's mode behind for a later realpath to trip on.
t.test('realpath through the shim\'s stat: pipes, and ordinary links after a pipe', async (t) => {
  const d = tmpDir(t);
  fs.writeFileSync(`${d}/target.txt`, 'x');
  fs.symlinkSync(`${d}/target.txt`, `${d}/link1`);
  fs.symlinkSync(`${d}/link1`, `${d}/link2`);
  spawnSync('mkfifo', [`${d}/fifo`]);
  const src = `
    const fs = require('fs');
    const d = process.argv[1];
    fs.realpath('/dev/stdin', (e1, stdin) => {
      fs.stat(d + '/fifo', (e2, st) => {
        fs.realpath(d + '/link2', (e3, link) => {
          fs.stat(d + '/target.txt', () => {
            fs.realpath(d + '/link2', (e4, again) => {
              console.log(JSON.stringify({ e1: e1 && e1.code, stdin: /^\\/proc\\/\\d+\\/fd\\/(pipe|socket):/.test(stdin), fifo: st.isFIFO(), link, again, e3, e4 }));
            });
          });
        });
      });
    });`;
  const run = (args) => spawnSync(process.execPath, [...args, '-e', src, d], { encoding: 'utf8', input: 'x' });
  const node = run([]);
  const shim = run(['--require', register]);
  t.equal(node.status, 0, node.stderr);
  t.equal(shim.status, 0, shim.stderr);
  t.match(JSON.parse(node.stdout), { e1: null, stdin: true, fifo: true, link: `${d}/target.txt` }, 'oracle: Node resolves both');
  t.strictSame(JSON.parse(shim.stdout), JSON.parse(node.stdout), 'same under register');
});
