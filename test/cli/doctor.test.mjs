// `uring-shim doctor`: what it says and its exit status, with the ring and without it.
import t from 'tap';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(repo, 'dist/cjs/cli/index.js');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.includes('TAP') && !k.startsWith('URING_SHIM')));
// Through env(1): tap's process-info hook would add its --import to the child's NODE_OPTIONS.
const run = (args, extra = {}) => spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, cli, ...args], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 30_000 });

const { ringSetup } = await import('uring-shim');
const here = ringSetup();

t.test('--json', async (t) => {
  const r = run(['doctor', '--json']);
  const report = JSON.parse(r.stdout);
  t.equal(r.status, here.backend === 'io_uring' ? 0 : 1, 'exit status says whether the ring is usable');
  t.equal(report.usable, here.backend === 'io_uring');
  t.equal(report.node, process.version);
  t.equal(report.napi, process.versions.napi);
  t.same(report.ring.opcodes, here.opcodes, 'the probe as this process sees it');
  t.equal(report.opcodeNames.length, here.opcodes.length, 'one name per probed opcode');
  if (here.opcodes.includes(18)) t.ok(report.opcodeNames.includes('OPENAT'), 'opcode 18 is OPENAT');
  t.ok(report.families.length > 0 && report.families.every((f) => f.backend === 'io_uring' || f.backend === 'node'), 'a backend per family');
  t.ok(report.families.some((f) => f.family.startsWith('net') && f.backend === here.backend), 'net: on the ring exactly when the ring is usable');
});

t.test('human-readable, ring usable', { skip: here.backend !== 'io_uring' && 'no ring here' }, async (t) => {
  const r = run(['doctor']);
  t.equal(r.status, 0);
  t.match(r.stdout, /io_uring\s+usable/);
  t.match(r.stdout, /setup flags accepted\s+\S/);
  t.match(r.stdout, /registered buffers\s+(yes|no)/);
  t.match(r.stdout, /fs\.promises stat, lstat, FileHandle\.stat\s+ring \(STATX\)/);
  t.match(r.stdout, /Result: io_uring is usable/);
});

t.test('forced fallback: exit 1, says why and what happens instead', async (t) => {
  const r = run(['doctor'], { URING_SHIM_DISABLE: '1' });
  t.equal(r.status, 1);
  t.match(r.stdout, /io_uring\s+not used: disabled by URING_SHIM_DISABLE=1/);
  t.notMatch(r.stdout, /\bring \(/, 'no family claims the ring');
  t.match(r.stdout, /Result: io_uring is NOT usable here/);
});

t.test('usage', async (t) => {
  t.equal(run([]).status, 0, 'no command: usage, exit 0');
  const bad = run(['nope']);
  t.equal(bad.status, 2, 'unknown command: exit 2');
  t.match(bad.stderr, /unknown command 'nope'/);
});
