// Credentials: every ring operation runs with the credentials the process has when it is
// submitted, not those it had when the ring was set up. Tested as root: a file only root (or a
// group) may read is read through the shim, the process drops the privilege with each of
// process.setuid/seteuid/setgid/setegid/setgroups/initgroups, and the next read must fail with
// EACCES exactly as Node's own fs/promises fails in the same process at the same moment.
// The ring itself must never be SQPOLL (CVE-2024-22017: its kernel thread kept the creator's
// credentials). See docs/ARCHITECTURE.md, "Credentials".
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../dist/cjs', import.meta.url));
const promises = path.join(dist, 'fs/promises.js');
const index = path.join(dist, 'index.js');
// The addon is loaded while root, from wherever it was built.
const addon = process.env.URING_SHIM_ADDON || fileURLToPath(new URL('../../build/Release/uring_shim.node', import.meta.url));
const GROUP = 4242;     // a gid nobody belongs to
const NOGROUP = 65534;

// Shared by every child: `check(label)` reads the files through the shim (built in `from`) and
// through Node and records both outcomes, every field of an error included.
const preludeFrom = (from) => `
  const shim = require(${JSON.stringify(path.join(from, 'fs/promises.js'))});
  const node = require('node:fs/promises');
  const { stats } = require(${JSON.stringify(path.join(from, 'index.js'))});
  const { ownerFile, groupFile, publicFile } = JSON.parse(process.argv.at(-1));
  const steps = [];
  const view = (e) => ({ ctor: e.constructor.name, name: e.name, code: e.code, errno: e.errno, syscall: e.syscall,
    path: e.path, message: e.message, keys: Object.keys(e), stack0: e.stack.split('\\n')[0] });
  const outcome = (p) => p.then((v) => ({ ok: String(v) }), (e) => ({ error: view(e) }));
  async function readHandle(fsp, file) {
    const fh = await fsp.open(file, 'r');
    try { return (await fh.read(Buffer.alloc(32), 0, 32, 0)).buffer.toString('utf8', 0, 6); } finally { await fh.close(); }
  }
  async function check(label, file) {
    const step = { label, owner: file === ownerFile, euid: process.geteuid(), egid: process.getegid(), groups: process.getgroups() };
    for (const [name, fsp] of [['shim', shim], ['node', node]]) {
      // O_CREAT: the kernel never tries this open inline, it always goes to an io-wq worker,
      // which must act with the credentials of the moment of submission.
      const created = require('node:path').dirname(file) + '/created-' + steps.length + '-' + name;
      step[name] = JSON.parse(JSON.stringify({
        readFile: await outcome(fsp.readFile(file, 'utf8')),
        open: await outcome(readHandle(fsp, file)),
        openWrite: await outcome(fsp.open(file, 'r+').then((fh) => fh.close().then(() => 'opened'))),
        openCreate: await outcome(fsp.open(created, 'w').then((fh) => fh.close().then(() => 'created'))),
      }).split('-' + name).join('-X'));
    }
    steps.push(step);
  }
  function done() { console.log(JSON.stringify({ steps, stats: stats() })); }
`;
const prelude = preludeFrom(dist);

const nobody = 65534;
const variants = {
  // uid: the owner-only file.
  setuid: `(async () => {
    await check('root', ownerFile);
    const early = await shim.open(ownerFile, 'r');   // opened while root: stays readable, as in Node
    process.setuid('nobody');
    await check('after setuid(nobody)', ownerFile);
    steps.push({ label: 'handle opened before setuid', shim: { read: await outcome(early.read(Buffer.alloc(6), 0, 6, 0).then((r) => r.buffer.toString())) },
      node: { read: { ok: 'secret' } } });
    await early.close();
    done();
  })()`,
  seteuid: `(async () => {
    await check('root', ownerFile);
    process.seteuid('nobody');
    await check('after seteuid(nobody)', ownerFile);
    process.seteuid(0);
    await check('after seteuid(0)', ownerFile);
    done();
  })()`,
  // gid and groups: the group-only file (mode 0040, group ${GROUP}), read with euid nobody.
  setgid: `(async () => {
    process.setgid(${GROUP}); process.seteuid(${nobody});
    await check('egid ${GROUP}', groupFile);
    process.seteuid(0); process.setgid(${NOGROUP}); process.seteuid(${nobody});
    await check('after setgid(${NOGROUP})', groupFile);
    done();
  })()`,
  setegid: `(async () => {
    process.setegid(${GROUP}); process.seteuid(${nobody});
    await check('egid ${GROUP}', groupFile);
    process.seteuid(0); process.setegid(${NOGROUP}); process.seteuid(${nobody});
    await check('after setegid(${NOGROUP})', groupFile);
    done();
  })()`,
  setgroups: `(async () => {
    process.setegid(${NOGROUP}); process.setgroups([${GROUP}]); process.seteuid(${nobody});
    await check('groups [${GROUP}]', groupFile);
    process.seteuid(0); process.setgroups([]); process.seteuid(${nobody});
    await check('after setgroups([])', groupFile);
    done();
  })()`,
  initgroups: `(async () => {
    process.setegid(${NOGROUP}); process.initgroups('nobody', ${GROUP}); process.seteuid(${nobody});
    await check('initgroups(nobody, ${GROUP})', groupFile);
    process.seteuid(0); process.initgroups('nobody', ${NOGROUP}); process.seteuid(${nobody});
    await check('after initgroups(nobody, ${NOGROUP})', groupFile);
    done();
  })()`,
  // A Worker's ring, set up while root, used after the main thread drops to nobody.
  'setuid, read in a Worker': `(async () => {
    const { Worker } = require('node:worker_threads');
    const worker = new Worker(${JSON.stringify(`${prelude}
      const { parentPort } = require('node:worker_threads');
      parentPort.on('message', async (label) => { await check(label, ownerFile); parentPort.postMessage(steps.at(-1)); });`)},
      { eval: true, argv: [process.argv[1]] });
    const ask = (label) => new Promise((resolve) => { worker.once('message', resolve); worker.postMessage(label); });
    steps.push(await ask('root, in the Worker'));
    process.setuid('nobody');
    steps.push(await ask('after setuid(nobody) on the main thread, in the Worker'));
    await worker.terminate();
    done();
  })()`,
};

// What Node must do at each step, so that no comparison is vacuous.
const nodeExpects = (label) => (/^(root|public|egid|groups|initgroups\(nobody, 4242\)|after seteuid\(0\)|handle)/.test(label) ? 'ok' : 'EACCES');

if (process.platform !== 'linux' || process.getuid() !== 0) {
  t.skip(`needs root to change credentials (uid ${process.getuid?.()})`);
} else {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-creds-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.chmodSync(dir, 0o755);
  const ownerFile = `${dir}/owner-only`;
  const groupFile = `${dir}/group-only`;
  fs.writeFileSync(ownerFile, 'secret and more');
  fs.chmodSync(ownerFile, 0o600);
  fs.writeFileSync(groupFile, 'groupy and more');
  fs.chownSync(groupFile, 0, GROUP);
  fs.chmodSync(groupFile, 0o040);
  const publicFile = `${dir}/public`;
  fs.writeFileSync(publicFile, 'public and more');
  fs.chmodSync(publicFile, 0o644);

  // The shim installed where only root may read (an application under /root, say): nothing it
  // does after the process dropped to nobody may need its own files again.
  const rootOnly = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-root-only-'));
  t.teardown(() => fs.rmSync(rootOnly, { recursive: true, force: true }));
  fs.cpSync(dist, path.join(rootOnly, 'cjs'), { recursive: true });
  variants['setuid before the first open, the shim installed root-only'] = {
    from: path.join(rootOnly, 'cjs'),
    body: `(async () => {
      process.setuid('nobody');
      await check('public file, the first opened', publicFile);
      await check('after setuid(nobody)', ownerFile);
      done();
    })()`,
  };

  for (const [name, variant] of Object.entries(variants)) {
    const { from, body } = typeof variant === 'string' ? { from: dist, body: variant } : variant;
    t.test(name, async (t) => {
      const r = spawnSync(process.execPath, ['-e', `${preludeFrom(from)}\n${body}`, JSON.stringify({ ownerFile, groupFile, publicFile })],
        { encoding: 'utf8', timeout: 30_000, env: { ...process.env, URING_SHIM_ADDON: addon } });
      t.equal(r.status, 0, `child exits cleanly ${r.stderr}`);
      const { steps, stats } = JSON.parse(r.stdout.trim().split('\n').at(-1));
      if (stats) t.equal(stats.backend, 'io_uring', 'the ring served the shim');
      t.ok(steps.length >= 2, 'ran its steps');
      for (const step of steps) {
        const want = nodeExpects(step.label);
        for (const [op, rec] of Object.entries(step.node)) {
          // Write access differs from read access by design; creating needs a writable
          // directory, which only root has here.
          if (op === 'openWrite' || (op === 'openCreate' && !step.owner)) continue;
          t.equal(rec.error?.code ?? 'ok', want, `${step.label}: Node's ${op} gives ${want}`);
        }
        t.strictSame(step.shim, step.node, `${step.label}: the shim gives Node's outcome, every field`);
      }
    });
  }

  t.test('the ring is not SQPOLL', async (t) => {
    const r = spawnSync(process.execPath, ['-e', `
      const fsp = require(${JSON.stringify(promises)});
      const fs = require('node:fs');
      fsp.readFile(process.argv[1]).then(() => {
        const rings = fs.readdirSync('/proc/self/fd').filter((fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd) === 'anon_inode:[io_uring]'; } catch { return false; } });
        const fdinfo = rings.map((fd) => fs.readFileSync('/proc/self/fdinfo/' + fd, 'utf8'));
        const threads = fs.readdirSync('/proc/self/task').map((task) => fs.readFileSync('/proc/self/task/' + task + '/comm', 'utf8').trim());
        console.log(JSON.stringify({ setupFlags: require(${JSON.stringify(index)}).stats().setupFlags, fdinfo, threads }));
      });`, ownerFile], { encoding: 'utf8', timeout: 30_000 });
    t.equal(r.status, 0, r.stderr);
    const { setupFlags, fdinfo, threads } = JSON.parse(r.stdout);
    t.notOk(setupFlags.includes('SQPOLL'), `setup flags: ${setupFlags.join(' ')}`);
    t.equal(fdinfo.length, 1, 'one ring in this process');
    t.match(fdinfo[0], /^SqThread:\s+-1$/m, 'the kernel reports no SQ thread for it (fdinfo SqThread: -1)');
    t.notOk(threads.some((name) => name.startsWith('iou-sqp-')), `no iou-sqp kernel thread (${threads.filter((n) => n.startsWith('iou-')).join(', ') || 'no io_uring threads'})`);
  });
}
