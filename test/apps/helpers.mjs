// Runs a real application (test/apps/fixtures/<name>.cjs) in a child process under
// `node --require uring-shim/register`, loopback only, bounded in time. The child prints one JSON
// line: { checks, stats } where `checks` are its own findings and `stats` is
// require('uring-shim').stats() at the end. Then asserts that the ring carried the I/O.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// What each app must show on the ring, by stats() counter name: fs.promises calls, callback fs
// and stream calls (express.static and tar use them), and ring sockets and listeners. Cluster
// workers listen on the primary's shared handle, and TLS servers on their own: both Node's.
export const ON_RING = {
  express: { fsPromises: ['readFile'], callbackFs: ['stat', 'ReadStream.open', 'ReadStream.read', 'ReadStream.close'], net: ['net.Server', 'net.Socket'] },
  fastify: { fsPromises: ['readFile'], callbackFs: [], net: ['net.Server', 'net.Socket'] },
  ws: { fsPromises: ['appendFile', 'readFile'], callbackFs: [], net: ['net.Server', 'net.Socket'] },
  https: { fsPromises: ['readFile', 'open', 'FileHandle.read', 'FileHandle.close'], callbackFs: [], net: [] },
  tar: { fsPromises: ['readFile'], callbackFs: ['open', 'read', 'write', 'close'], net: [] },
  cluster: { fsPromises: ['readFile', 'stat'], callbackFs: [], net: [] },
};

export function runApp(t, name, { timeout = 90_000, args = [] } = {}) {
  const script = path.join(repo, 'test/apps/fixtures', `${name}.cjs`);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.includes('TAP') && k !== 'NODE_OPTIONS'));
  // Through env(1): tap's process-info hook adds its own --import to NODE_OPTIONS of every child
  // it sees spawned, and its file reads would land in the app's ring counters.
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, '--require', 'uring-shim/register', script, ...args], {
    cwd: repo, env, encoding: 'utf8', timeout, killSignal: 'SIGKILL',
  });
  t.equal(r.status, 0, `${name} app exited cleanly`, { signal: r.signal, stderr: r.stderr?.slice(-3000) });
  const line = r.stdout.trim().split('\n').pop();
  return line?.startsWith('{') ? JSON.parse(line) : { checks: {}, stats: null };
}

export function assertOnRing(t, name, stats) {
  t.equal(stats?.backend, 'io_uring', `${name}: the shim runs on io_uring (${stats?.fallbackReason ?? ''})`);
  const want = ON_RING[name];
  const lists = [want.fsPromises, want.callbackFs, want.net];
  for (const api of lists.flat()) {
    t.ok((stats?.ring?.[api] ?? 0) > 0, `${name}: the ring carried ${api} (${stats?.ring?.[api] ?? 0})`, { ring: stats?.ring, delegated: stats?.delegated });
  }
}

export function tmpTree(prefix) {
  return fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR || '/tmp'), prefix));
}
