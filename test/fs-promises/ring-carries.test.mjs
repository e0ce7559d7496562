// The shim's own counters: with io_uring available the ring must actually carry the calls;
// with URING_SHIM_DISABLE=1 everything goes to Node and the reason is reported.
// Skipped while `stats()` is the placeholder (no `backend` field).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as nodeFsp from 'node:fs/promises';
import { stats } from 'uring-shim';
import * as shim from 'uring-shim/fs/promises';

const pkgRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const APIS = ['stat', 'open', 'read', 'write', 'close', 'readFile'];

// Counter for an API name; FileHandle methods may be reported as 'FileHandle.read' etc.
const count = (counters, api) => (counters?.[api] ?? 0) + (counters?.[`FileHandle.${api}`] ?? 0);

const isCount = (n) => Number.isSafeInteger(n) && n >= 0;

function checkShape(t, s, label) {
  t.ok(s.backend === 'io_uring' || s.backend === 'node', `${label}: backend is 'io_uring' or 'node' (got ${s.backend})`);
  t.ok(s.fallbackReason === null || typeof s.fallbackReason === 'string', `${label}: fallbackReason is null or a string`);
  for (const k of ['ring', 'delegated']) {
    t.ok(s[k] && typeof s[k] === 'object' && !Array.isArray(s[k]), `${label}: ${k} is an object`);
    t.ok(Object.values(s[k] || {}).every(isCount), `${label}: ${k} values are non-negative integers`);
  }
  for (const k of ['enters', 'completions', 'largestBatch', 'inFlight']) {
    t.ok(isCount(s[k]), `${label}: ${k} is a non-negative integer (got ${s[k]})`);
  }
}

// The same workload, in this process or in a child (it is shipped there via toString(), so it
// must not close over anything).
async function workload(fsp, d) {
  const out = [];
  out.push((await fsp.stat(`${d}/f.txt`)).size);
  const fh = await fsp.open(`${d}/f.txt`, 'r+');
  const r = await fh.read(Buffer.alloc(5), 0, 5, 0);
  out.push(r.bytesRead, r.buffer.toString());
  out.push((await fh.write('XY', 1)).bytesWritten);
  await fh.close();
  out.push(await fsp.readFile(`${d}/f.txt`, 'utf8'));
  out.push(await fsp.lstat(`${d}/nope`).catch((e) => [e.code, e.syscall, e.message.replace(d, '<D>')]));
  return out;
}

function freshDir(t) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-ring-'));
  fs.writeFileSync(`${d}/f.txt`, 'hello world');
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

function runChild(t, env) {
  const d = freshDir(t);
  const src = `${workload.toString()}
    const fsp = await import('uring-shim/fs/promises');
    const out = await workload(fsp, process.argv[1]);
    const { stats } = await import('uring-shim');
    console.log(JSON.stringify({ out, stats: stats() }));`;
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', src, d],
    { cwd: pkgRoot, env: childEnv, encoding: 'utf8' });
  return { r, d };
}

const initial = stats();
if (initial.backend === undefined) {
  t.skip('stats not implemented yet');
} else {
  const disabled = process.env.URING_SHIM_DISABLE === '1';

  t.test(`in this process (URING_SHIM_DISABLE=${process.env.URING_SHIM_DISABLE ?? '<unset>'})`, async (t) => {
    const before = stats();
    checkShape(t, before, 'before');
    const d = freshDir(t);
    const d2 = freshDir(t);
    const got = await workload(shim, d);
    const want = await workload(nodeFsp, d2);
    t.strictSame(got, want, 'workload results are Node\'s');
    const after = stats();
    checkShape(t, after, 'after');
    t.equal(after.inFlight, 0, 'nothing in flight once everything settled');
    if (disabled) {
      t.equal(after.backend, 'node', 'disabled: backend is node');
      t.ok(typeof after.fallbackReason === 'string' && after.fallbackReason.length > 0, 'disabled: fallbackReason is a non-empty string');
      for (const api of APIS) t.equal(count(after.ring, api), count(before.ring, api), `disabled: ring.${api} did not move`);
      t.ok(APIS.some((api) => count(after.delegated, api) > count(before.delegated, api)), 'disabled: calls were delegated to Node');
    } else {
      t.equal(after.backend, 'io_uring', `backend is io_uring (fallbackReason: ${after.fallbackReason})`);
      t.equal(after.fallbackReason, null, 'no fallback reason');
      for (const api of APIS) {
        t.ok(count(after.ring, api) > count(before.ring, api), `ring.${api} grew (${count(before.ring, api)} -> ${count(after.ring, api)})`);
      }
      t.ok(after.enters > before.enters, 'enters grew');
      t.ok(after.completions > before.completions, 'completions grew');
      t.ok(after.largestBatch >= 1, 'largestBatch >= 1');
    }
  });

  t.test('child process with URING_SHIM_DISABLE=1', async (t) => {
    const { r, d } = runChild(t, { URING_SHIM_DISABLE: '1' });
    t.equal(r.status, 0, `child exited cleanly${r.stderr ? `: ${r.stderr}` : ''}`);
    const { out, stats: s } = JSON.parse(r.stdout.trim().split('\n').at(-1));
    checkShape(t, s, 'child');
    t.equal(s.backend, 'node', 'backend is node');
    t.ok(typeof s.fallbackReason === 'string' && s.fallbackReason.length > 0, `fallbackReason is a non-empty string (${JSON.stringify(s.fallbackReason)})`);
    for (const api of APIS) t.equal(count(s.ring, api), 0, `ring.${api} stayed 0`);
    const d2 = freshDir(t);
    t.strictSame(out, JSON.parse(JSON.stringify(await workload(nodeFsp, d2))), 'results are Node\'s');
    t.equal(fs.readFileSync(`${d}/f.txt`, 'utf8'), 'hXYlo world', 'the write reached the file');
  });

  t.test('child process without URING_SHIM_DISABLE', async (t) => {
    const { r } = runChild(t, { URING_SHIM_DISABLE: undefined });
    t.equal(r.status, 0, `child exited cleanly${r.stderr ? `: ${r.stderr}` : ''}`);
    const { out, stats: s } = JSON.parse(r.stdout.trim().split('\n').at(-1));
    checkShape(t, s, 'child');
    t.equal(s.backend, 'io_uring', `backend is io_uring (fallbackReason: ${s.fallbackReason})`);
    for (const api of APIS) t.ok(count(s.ring, api) > 0, `ring.${api} > 0`);
    const d2 = freshDir(t);
    t.strictSame(out, JSON.parse(JSON.stringify(await workload(nodeFsp, d2))), 'results are Node\'s');
  });
}
