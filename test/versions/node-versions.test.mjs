// One Node-API build of the addon serves Node 20, 22 and 24: on each of the newer ones (fetched
// by scripts/fetch-node-versions.sh into a cache outside the repository), the ring comes up from
// this very build, the differential unit tests pass (fs.promises, callback fs, streams, net: each
// compares the shim with the Node it runs on), and so does the fs-promises and net compat smoke
// (Node 20.19.2's own tests, with each shim mode held to plain node's result on the same binary;
// see test/compat/run.mjs --node).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAJORS = ['22', '24'];
// test/lifetime is left out: its descriptor count can end one higher with stock Node's
// fs.promises too (a /dev/null Node opens once a Worker has run), on Node 20 as well.
const UNIT_DIRS = ['test/fs-promises', 'test/fs-callback', 'test/streams', 'test/net'];
// Node 20.19.2's own tests run on each binary: fs-promises whole, net's socket, connect and
// server tests (the whole net group takes two minutes per version).
const COMPAT = ['--groups', 'fs-promises,net', '--filter', 'test-fs-promises,test-net-socket,test-net-connect,test-net-server'];

// Unit test files known to fail on a Node version, and why. A ratchet: a listed file that passes
// fails this test until it is removed from the list. Elsewhere the shim follows the running Node
// where versions differ (Stats Dates, FileHandle.read positions, fs.promises names, fs.symlink's
// callback receiver).
const KNOWN = {
  22: {},
  24: {},
};

t.setTimeout(900_000);

const fetched = spawnSync('bash', [path.join(repo, 'scripts/fetch-node-versions.sh'), ...MAJORS], { encoding: 'utf8', timeout: 300_000 });
t.equal(fetched.status, 0, 'scripts/fetch-node-versions.sh fetched Node 22 and 24', { stderr: fetched.stderr.slice(-2000) });
const binaries = Object.fromEntries(fetched.stdout.trim().split('\n').filter(Boolean).map((l) => l.split(' ')));

// Each file runs standalone, as a plain tap script, not as a child of this tap run; through
// env(1), because tap's process-info hook adds its own --import (from Node 20's tap) to
// NODE_OPTIONS of every child it sees spawned.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.includes('TAP') && k !== 'NODE_OPTIONS'));
const spawnClean = (cmd, args, options) => spawnSync('env', ['-u', 'NODE_OPTIONS', cmd, ...args], { cwd: repo, env, encoding: 'utf8', killSignal: 'SIGKILL', ...options });
const unitFiles = UNIT_DIRS.flatMap((d) => fs.readdirSync(path.join(repo, d)).filter((f) => f.endsWith('.test.mjs')).map((f) => `${d}/${f}`));

for (const major of MAJORS) {
  const node = binaries[major];
  t.test(`Node ${major}`, { skip: !node && 'not fetched' }, async (t) => {
    const probe = spawnClean(node, ['-p', "JSON.stringify([process.version, require('./dist/cjs/index.js').ringSetup()])"], { timeout: 30_000 });
    const [version, setup] = JSON.parse(probe.stdout);
    t.match(version, new RegExp(`^v${major}\\.`), `${node} is Node ${major}`);
    t.equal(setup.backend, 'io_uring', `the ring comes up from the same addon build (${setup.fallbackReason ?? setup.setupFlags.join(' ')})`);

    for (const file of unitFiles) {
      const known = KNOWN[major]?.[file];
      const r = spawnClean(node, [file], { timeout: 180_000 });
      const failures = (r.stdout ?? '').split('\n').filter((l) => /^\s*not ok /.test(l)).slice(0, 6).join('\n');
      if (known) t.not(r.status, 0, `${file} still fails (known: ${known}); remove it from KNOWN once it passes`);
      else t.equal(r.status, 0, `${file} passes`, { failures, stderr: r.stderr?.slice(-1000) });
    }

    const tree = spawnSync('bash', ['test/compat/fetch-node.sh'], { cwd: repo, encoding: 'utf8', timeout: 300_000 });
    t.equal(tree.status, 0, "Node 20.19.2's test tree is there (test/compat/fetch-node.sh)", { stderr: tree.stderr.slice(-1000) });
    const compat = spawnClean(process.execPath, ['test/compat/run.mjs', ...COMPAT, '--node', node, '--quiet'], { timeout: 300_000 });
    t.equal(compat.status, 0, 'fs-promises and net compat smoke: every shim result equals plain node\'s on this binary', { output: compat.stdout.slice(-3000) });
  });
}
