// Property-based differential test: random short sequences of fs.promises calls -- well-formed
// and malformed alike (negative, huge, fractional and NaN sizes and positions, bigint positions,
// detached and zero-length buffers, NUL bytes in paths, unknown flags) -- run against
// node:fs/promises and uring-shim/fs/promises in twin sandboxes. Every call's outcome (value,
// or error with every field, the twin directory replaced) and the final directory tree must be
// identical.
//
//   FC_RUNS=100000 npx tap test/property/fs-sequences.test.mjs     more sequences
//   FC_SEED=123 FC_PATH=... npx tap ...                          replay a failure (both printed)
//
// (A socket model -- writes, ends, destroys on connected pairs -- can sit beside this one with
// the same runner when uring-shim/net lands.)
import t from 'tap';
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { stats } from 'uring-shim';
import { impls, NAMES, capture, normalise, readTree } from '../helpers/twin.mjs';

const RUNS = Number(process.env.FC_RUNS) || 10_000;
const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : (Date.now() ^ (Math.random() * 2 ** 31)) | 0;

// ---- the model's vocabulary ------------------------------------------------------------------
const name = fc.constantFrom('a', 'b', 'd', 'd/x', 'd/y', 'missing/z', 'a\0b', '', '.');
const flags = fc.constantFrom('r', 'r+', 'w', 'w+', 'a', 'a+', 'wx', 'ax', 'as+', 'rs+', 'bogus', 0, 2, 66, 578, -1, 1.5, null, undefined);
const mode = fc.constantFrom(undefined, 0o644, 0o400, 0o777, 0, -1, 2 ** 32, 'x', '755', 1.5);
// Mostly well-formed values (so that calls reach the ring), often malformed ones.
const count = fc.oneof(
  { arbitrary: fc.nat(64), weight: 3 },
  { arbitrary: fc.constantFrom(0, 1, 3, 7, 100, 4096, 16384, 16385, -1, -0, 1.5, NaN, Infinity, 2 ** 31, 2 ** 31 - 1, 2 ** 53, undefined, null, '1', 1n), weight: 1 });
const position = fc.oneof(
  { arbitrary: fc.nat(300), weight: 2 },
  { arbitrary: fc.constantFrom(null, undefined, -1), weight: 1 },
  { arbitrary: fc.constantFrom(-2, 0, 5, 4096, 65536, 2 ** 31 - 1, 2 ** 32 + 1, 2 ** 53, 2 ** 53 - 1, NaN, 1.5, Infinity, 1n, -1n, 2n ** 63n, 'x', true), weight: 1 });
const bufferKind = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 128 }), weight: 3 },
  { arbitrary: fc.constantFrom(0, 7, 100, 4096, 16385, 70000, 'detached', 'subarray', 'u16', 'dataview'), weight: 1 });
const data = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.uint8Array({ maxLength: 300 }).map((u) => ({ bytes: Array.from(u) })),
  fc.constantFrom({ bytes: [] }, { big: 20000 }, { big: 70000 }, 'detached', 0, null, { toString: 1 }));
const encoding = fc.constantFrom(undefined, 'utf8', 'latin1', 'hex', 'base64', 'ucs2', 'buffer', 'bogus', null);
const slot = fc.nat(2);

const command = fc.oneof(
  fc.tuple(fc.constant('open'), name, flags, mode),
  fc.tuple(fc.constant('read'), slot, bufferKind, count, count, position),
  fc.tuple(fc.constant('write'), slot, data, count, count, position),
  fc.tuple(fc.constant('read'), slot, bufferKind, count, count, position),
  fc.tuple(fc.constant('readOptions'), slot, bufferKind, count, count, position),
  fc.tuple(fc.constant('write'), slot, data, count, count, position),
  fc.tuple(fc.constant('writeString'), slot, data, position, encoding),
  fc.tuple(fc.constant('readv'), slot, fc.array(bufferKind, { maxLength: 4 }), position),
  fc.tuple(fc.constant('writev'), slot, fc.array(data, { maxLength: 4 }), position),
  fc.tuple(fc.constant('fhTruncate'), slot, count),
  fc.tuple(fc.constant('fhStat'), slot, fc.boolean()),
  fc.tuple(fc.constant('fhSync'), slot),
  fc.tuple(fc.constant('close'), slot),
  fc.tuple(fc.constant('truncate'), name, count),
  fc.tuple(fc.constant('stat'), name, fc.boolean()),
  fc.tuple(fc.constant('lstat'), name),
  fc.tuple(fc.constant('rename'), name, name),
  fc.tuple(fc.constant('unlink'), name),
  fc.tuple(fc.constant('mkdir'), name, mode),
  fc.tuple(fc.constant('rmdir'), name),
  fc.tuple(fc.constant('readFile'), name, encoding),
  fc.tuple(fc.constant('writeFile'), name, data, flags),
  fc.tuple(fc.constant('appendFile'), name, data),
);
// Node 20 itself aborts the process (a C++ CHECK in the fs binding) when FileHandle.read or
// FileHandle.write(buffer) is given a length that passes its JS validation without being an
// Int32: NaN, 1.5, -0 (write), or (read) '1'. There is no behaviour to match there, so such
// calls are left out.
const fractional = (n) => typeof n === 'number' && !Number.isInteger(n) && Math.abs(n) !== Infinity;
const nodeAborts = (cmd) =>
  ((cmd[0] === 'read' || cmd[0] === 'readOptions') && (typeof cmd[4] === 'string' || fractional(cmd[4]))) ||
  (cmd[0] === 'write' && typeof cmd[2] === 'object' && cmd[2] !== null && (fractional(cmd[4]) || Object.is(cmd[4], -0)));
const sequence = fc.array(command.filter((cmd) => !nodeAborts(cmd)), { minLength: 1, maxLength: 8 });

// ---- running a sequence against one implementation -----------------------------------------
function detached() {
  const view = new Uint8Array(16);
  structuredClone(view.buffer, { transfer: [view.buffer] });
  return view;
}

function makeBuffer(kind) {
  if (kind === 'detached') return detached();
  if (kind === 'subarray') return Buffer.alloc(64, 1).subarray(8, 40);
  if (kind === 'u16') return new Uint16Array(8);
  if (kind === 'dataview') return new DataView(new ArrayBuffer(12));
  return Buffer.alloc(kind, 0x2e);
}

function makeData(d) {
  if (d === 'detached') return detached();
  if (d && typeof d === 'object' && 'bytes' in d) return Buffer.from(d.bytes);
  if (d && typeof d === 'object' && 'big' in d) return Buffer.alloc(d.big, 0x61 + (d.big % 26));
  return d;
}

function run(fsp, dir, handles, opened, cmd) {
  const p = (n) => (n === '' ? '' : `${dir}/${n}`);
  const fh = () => handles[cmd[1]] ?? handles.find(Boolean);
  switch (cmd[0]) {
    case 'open': return fsp.open(p(cmd[1]), cmd[2], cmd[3]).then((h) => {
      opened.push(h);
      handles[handles.indexOf(undefined) === -1 ? handles.length % 3 : handles.indexOf(undefined)] = h;
      return h;
    });
    case 'read': return fh()?.read(makeBuffer(cmd[2]), cmd[3], cmd[4], cmd[5]);
    case 'readOptions': return fh()?.read({ buffer: makeBuffer(cmd[2]), offset: cmd[3], length: cmd[4], position: cmd[5] });
    case 'write': return fh()?.write(makeData(cmd[2]), cmd[3], cmd[4], cmd[5]);
    case 'writeString': return fh()?.write(makeData(cmd[2]), cmd[3], cmd[4]);
    case 'readv': return fh()?.readv(cmd[2].map(makeBuffer), cmd[3]);
    case 'writev': return fh()?.writev(cmd[2].map(makeData), cmd[3]);
    case 'fhTruncate': return fh()?.truncate(cmd[2]);
    case 'fhStat': return fh()?.stat({ bigint: cmd[2] });
    case 'fhSync': return fh()?.sync();
    case 'close': { const h = fh(); handles[handles.indexOf(h)] = undefined; return h?.close(); }
    case 'truncate': return fsp.truncate(p(cmd[1]), cmd[2]);
    case 'stat': return fsp.stat(p(cmd[1]), { bigint: cmd[2] });
    case 'lstat': return fsp.lstat(p(cmd[1]));
    case 'rename': return fsp.rename(p(cmd[1]), p(cmd[2]));
    case 'unlink': return fsp.unlink(p(cmd[1]));
    case 'mkdir': return fsp.mkdir(p(cmd[1]), cmd[2]);
    case 'rmdir': return fsp.rmdir(p(cmd[1]));
    case 'readFile': return fsp.readFile(p(cmd[1]), cmd[2]);
    case 'writeFile': return fsp.writeFile(p(cmd[1]), makeData(cmd[2]), { flag: cmd[3] ?? undefined });
    case 'appendFile': return fsp.appendFile(p(cmd[1]), makeData(cmd[2]));
    default: throw new Error(`unknown command ${cmd[0]}`);
  }
}

// On tmpfs when there is one: the sequences fsync, and a disk's fsync would dominate the run.
const base = fs.existsSync('/dev/shm') && fs.statSync('/dev/shm').isDirectory() ? '/dev/shm' : os.tmpdir();
const root = fs.mkdtempSync(path.join(base, 'uring-fuzz-'));
t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));

function fresh(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir);
  fs.writeFileSync(`${dir}/a`, 'hello world');
  fs.mkdirSync(`${dir}/d`);
  fs.writeFileSync(`${dir}/d/x`, Buffer.alloc(5000, 0x78));
}

async function outcomes(implName, cmds) {
  const dir = path.join(root, implName);
  fresh(dir);
  // Two handles to start with, so that FileHandle calls usually have one to work on.
  const handles = [await impls[implName].open(`${dir}/a`, 'r+'), await impls[implName].open(`${dir}/d/x`, 'r')];
  const opened = [...handles];
  const out = [];
  for (const cmd of cmds) out.push(normalise(await capture(() => run(impls[implName], dir, handles, opened, cmd)), dir));
  for (const h of opened) await h.close().catch(() => {});
  return { out, tree: readTree(dir) };
}

let calls = 0;
const outcomesSeen = {};
t.test(`${RUNS} random fs.promises sequences: the shim behaves as Node`, async (t) => {
  t.comment(`seed ${SEED} (reproduce: FC_SEED=${SEED} FC_RUNS=${RUNS})`);
  const before = stats().ring;
  const property = fc.asyncProperty(sequence, async (cmds) => {
    calls += cmds.length;
    const [node, shim] = [await outcomes(NAMES[0], cmds), await outcomes(NAMES[1], cmds)];
    for (const o of node.out) outcomesSeen[o.outcome] = (outcomesSeen[o.outcome] ?? 0) + 1;
    return isDeepStrictEqual(shim, node);
  });
  const details = await fc.check(property, { numRuns: RUNS, seed: SEED, path: process.env.FC_PATH, endOnFailure: false });
  if (details.failed) {
    // Replay the shrunk counterexample for a readable diff.
    const cmds = details.counterexample[0];
    const [node, shim] = [await outcomes(NAMES[0], cmds), await outcomes(NAMES[1], cmds)];
    t.fail(`counterexample (FC_SEED=${details.seed} FC_PATH=${details.counterexamplePath}):\n${JSON.stringify(cmds, (k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`);
    t.strictSame(shim, node, 'shim vs node on the counterexample');
  }
  t.equal(details.numRuns, RUNS, `${details.numRuns} sequences (${calls} calls per implementation) ran`);
  // Not vacuous: Node both succeeded and failed often, and the ring carried the shim's calls.
  t.ok(outcomesSeen.resolve > calls / 10 && outcomesSeen.reject > calls / 10, `outcomes under Node: ${JSON.stringify(outcomesSeen)}`);
  const after = stats().ring;
  const carried = Object.keys(after).filter((api) => after[api] > (before[api] ?? 0));
  for (const api of ['open', 'FileHandle.read', 'FileHandle.write', 'stat', 'readFile', 'writeFile']) {
    t.ok(carried.includes(api), `the ring carried ${api} (${(after[api] ?? 0) - (before[api] ?? 0)})`);
  }
});
