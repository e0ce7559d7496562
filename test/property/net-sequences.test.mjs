// Property-based differential test of sockets: random sequences of calls on both ends of a
// connected pair (write with every kind of chunk and encoding, end, destroy, destroySoon,
// resetAndDestroy, pause/resume, cork/uncork, setNoDelay, setKeepAlive) run over node:net and
// over uring-shim/net. What each end observes must be identical: every call's return value or
// thrown error, its callback's error, the events in order ('end', 'finish', 'drain', 'close'
// with hadError, 'error' code/syscall), the bytes received (concatenated: chunk boundaries
// legitimately differ), bytesRead/bytesWritten and readyState.
//
//   FC_RUNS=50000 npx tap test/property/net-sequences.test.mjs     more sequences
//   FC_SEED=123 FC_RUNS=... npx tap ...                          replay a failure (both printed)
//
// Time bound: sequences run in batches of BATCH pairs at once (each batch over node:net twice
// and uring-shim/net once, all concurrently); 10,000 sequences take 11-28 s here (2 shared
// cores), well under a minute.
//
//   FC_REPLAY='<sequence as printed>' node test/property/net-sequences.test.mjs   both outcomes
//
// What Node itself does not reproduce is not compared:
// * after each call the test waits until the pair is quiet (every byte written has arrived,
//   'end'/'close' that are due have been emitted), so that the next call meets a known state;
// * the sequence is run twice over node:net, the second time with one more loop turn after each
//   call. Where the two differ, Node's outcome hangs on timing in the kernel (RST against FIN,
//   ECONNRESET against EPIPE, a reset that does or does not overtake the last small segment
//   Nagle or pacing held back), and the shim must give one of the two;
// * which of ECONNRESET and EPIPE a failed read or write gets races in the kernel (`kernelRace`).
// Nothing else is normalised.
import t from 'tap';
import fc from 'fast-check';
import crypto from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { stats } from 'uring-shim';
import { impls, listen, closed } from '../helpers/net-twin.mjs';

const RUNS = Number(process.env.FC_RUNS) || 10_000;
// 10,000 sequences take 11-30 s on an idle 2-core machine; the bound leaves room for a busy one.
t.setTimeout(240_000);
const BATCH = Math.min(50, RUNS);
const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : (Date.now() ^ (Math.random() * 2 ** 31)) | 0;

// ---- the model's vocabulary ------------------------------------------------------------------
const side = fc.constantFrom('c', 's');
const encoding = fc.constantFrom(undefined, 'utf8', 'latin1', 'ascii', 'hex', 'base64', 'ucs2', 'binary', 'bogus');
const chunk = fc.oneof(
  { arbitrary: fc.string({ maxLength: 24 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 24 }), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 200 }).map((u) => ({ bytes: Array.from(u) })), weight: 3 },
  { arbitrary: fc.constantFrom('', { bytes: [] }, { big: 20000 }, { big: 100 * 1024 }, 0, null, true), weight: 2 });
// (No Uint16Array chunks: corked together with a string, Node 20 aborts the process in
// StreamBase::Writev -- a C++ CHECK -- so there is no behaviour to match.)
const callback = fc.boolean();

const command = fc.oneof(
  { arbitrary: fc.tuple(fc.constant('write'), side, chunk, encoding, callback), weight: 6 },
  { arbitrary: fc.tuple(fc.constant('end'), side, fc.option(chunk, { freq: 2 }), encoding, callback), weight: 2 },
  { arbitrary: fc.tuple(fc.constant('destroy'), side, fc.boolean()), weight: 1 },
  { arbitrary: fc.tuple(fc.constant('destroySoon'), side), weight: 1 },
  { arbitrary: fc.tuple(fc.constant('resetAndDestroy'), side), weight: 1 },
  { arbitrary: fc.tuple(fc.constant('pause'), side), weight: 2 },
  { arbitrary: fc.tuple(fc.constant('resume'), side), weight: 2 },
  { arbitrary: fc.tuple(fc.constant('cork'), side), weight: 1 },
  { arbitrary: fc.tuple(fc.constant('uncork'), side), weight: 1 },
  { arbitrary: fc.tuple(fc.constant('setNoDelay'), side, fc.constantFrom(undefined, true, false)), weight: 1 },
  { arbitrary: fc.tuple(fc.constant('setKeepAlive'), side, fc.constantFrom(undefined, true, false), fc.constantFrom(undefined, 0, 1000, -1)), weight: 1 },
);
// Node 20 aborts the process (a C++ CHECK in StringBytes::StorageSize) when an odd-length hex
// string is written together with other chunks (cork, writev): hex strings are made even.
const evenHex = (cmd) => ((cmd[0] === 'write' || cmd[0] === 'end') && cmd[3] === 'hex' && typeof cmd[2] === 'string' && cmd[2].length % 2 === 1
  ? [cmd[0], cmd[1], `${cmd[2]}0`, ...cmd.slice(3)] : cmd);
const sequence = fc.array(command.map(evenHex), { minLength: 1, maxLength: 8 });

// ---- running a sequence over one implementation --------------------------------------------
function makeChunk(c) {
  if (c && typeof c === 'object' && 'bytes' in c) return Buffer.from(c.bytes);
  if (c && typeof c === 'object' && 'big' in c) return Buffer.alloc(c.big, 0x41 + (c.big % 26));
  return c;
}

const errorCode = (e) => (e ? `${e.code ?? e.name}${e.syscall ? `:${e.syscall}` : ''}${e.code ? '' : `:${e.message}`}` : null);

const everySocket = new Set();
function track(socket) {
  everySocket.add(socket);
  const r = { socket, events: [], received: crypto.createHash('sha1'), bytes: 0, closed: false };
  socket.on('data', (d) => { r.received.update(d); r.bytes += d.length; });
  for (const event of ['end', 'finish', 'drain', 'timeout']) socket.on(event, () => r.events.push(event));
  socket.on('error', (e) => r.events.push(`error:${errorCode(e)}`));
  socket.on('close', (hadError) => { r.closed = true; r.events.push(`close:${hadError}`); });
  return r;
}

function apply(sides, cmd) {
  const r = sides[cmd[1]];
  const s = r.socket;
  const cb = (flag) => (flag ? (e) => r.events.push(`cb:${cmd[0]}:${errorCode(e)}`) : undefined);
  switch (cmd[0]) {
    case 'write': return cmd[3] === undefined ? s.write(makeChunk(cmd[2]), cb(cmd[4])) : s.write(makeChunk(cmd[2]), cmd[3], cb(cmd[4]));
    case 'end':
      if (cmd[2] === null) return cmd[4] ? s.end(cb(true)) === s : s.end() === s;
      return s.end(makeChunk(cmd[2]), cmd[3], cb(cmd[4])) === s;
    case 'destroy': return s.destroy(cmd[2] ? new Error('boom') : undefined) === s;
    case 'destroySoon': return s.destroySoon();
    // Not once the end is under way: while its shutdown is pending libuv refuses the reset,
    // net.js lets go of the handle unclosed and Node's loop then spins for good
    // (test/net/socket.test.mjs checks that case in a child process).
    case 'resetAndDestroy': return s.writableEnded || s.resetAndDestroy() === s;
    case 'pause': return s.pause() === s;
    case 'resume': return s.resume() === s;
    case 'cork': return s.cork();
    case 'uncork': return s.uncork();
    case 'setNoDelay': return s.setNoDelay(cmd[2]) === s;
    case 'setKeepAlive': return s.setKeepAlive(cmd[2], cmd[3]) === s;
    default: throw new Error(`unknown command ${cmd[0]}`);
  }
}

// Quiet: in each direction every byte the writer handed to the kernel has arrived (unless the
// reader is paused or gone), an end that was sent has been seen, and a destroyed socket has
// emitted 'close'.
function quiet(sides) {
  for (const [from, to] of [[sides.c, sides.s], [sides.s, sides.c]]) {
    const w = from.socket;
    const r = to.socket;
    if (w.destroyed !== from.closed) return false;
    // An end on its way out (its FIN not yet sent), unless a paused reader holds its bytes back.
    if (w.writableEnded && !w.writableFinished && !w.destroyed && !(r.isPaused() && w.writableLength > 0)) return false;
    if (r.destroyed || r.isPaused()) continue;
    if (!w.writableCorked && !w.destroyed && to.bytes < w.bytesWritten) return false;
    if ((w.writableFinished || from.closed) && !r.readableEnded && !r.destroyed) return false;
  }
  return true;
}

let unsettled = 0;
async function settle(sides, cmd) {
  for (let turn = 0, start = Date.now(); !quiet(sides); turn++) {
    if (Date.now() - start > 3000) {
      if (process.env.FC_DEBUG) console.error('unsettled', sides.name, JSON.stringify(sides.cmds), JSON.stringify(cmd), snapshot(sides.c), sides.c.bytes, sides.c.closed, snapshot(sides.s), sides.s.bytes, sides.s.closed);
      unsettled++;
      return;
    }
    await new Promise((resolve) => (turn < 20 ? setImmediate(resolve) : setTimeout(resolve, 2)));
  }
}

function snapshot(r) {
  const s = r.socket;
  return { readyState: s.readyState, destroyed: s.destroyed, writableLength: s.writableLength, bytesWritten: s.bytesWritten, bytesRead: s.bytesRead, paused: s.isPaused() };
}

// One listening server per implementation; connections are matched to their client by port.
const servers = {};
async function serverFor(name) {
  if (servers[name]) return servers[name];
  const waiting = new Map();
  // A connection may be accepted before or after its client sees 'connect'.
  const server = await listen(impls[name.replace(/\d$/, '')], {}, (socket) => {
    const r = track(socket);
    const resolve = waiting.get(socket.remotePort);
    if (resolve) resolve(r);
    waiting.set(socket.remotePort, r);
  });
  servers[name] = { server, waiting };
  return servers[name];
}

async function outcome(name, cmds) {
  const { server, waiting } = await serverFor(name);
  const net = impls[name.replace(/\d$/, '')];
  const client = net.connect(server.address().port, '127.0.0.1');
  const c = track(client);
  await new Promise((resolve) => client.once('connect', resolve));
  const s = waiting.get(client.localPort) ?? await new Promise((resolve) => waiting.set(client.localPort, resolve));
  waiting.delete(client.localPort);
  const sides = { c, s, name, cmds };
  const calls = [];
  for (const cmd of cmds) {
    try {
      calls.push({ value: apply(sides, cmd) });
    } catch (error) {
      calls.push({ threw: errorCode(error), message: error.message });
    }
    if (name === 'node2') await new Promise(setImmediate);
    await settle(sides, cmd);
  }
  const state = { c: snapshot(c), s: snapshot(s) };
  // Then both ends are closed gracefully, one after the other, so that every byte still queued is
  // delivered. (Not both in one tick: see "Known differences" in the report of this test.)
  for (const r of [c, s]) {
    while (r.socket.writableCorked) r.socket.uncork();
    r.socket.resume();
  }
  c.socket.end();
  await settle(sides, ['end', 'c']);
  s.socket.end();
  for (let start = Date.now(); !(c.closed && s.closed) && Date.now() - start < 5000;) await new Promise((resolve) => setTimeout(resolve, 2));
  const stuck = !(c.closed && s.closed);
  if (stuck) { c.socket.destroy(); s.socket.destroy(); }
  const end = (r) => ({ events: r.events, bytes: r.bytes, received: r.received.digest('hex'), bytesRead: r.socket.bytesRead, bytesWritten: r.socket.bytesWritten });
  return { calls, state, end: { c: end(c), s: end(s) }, stuck };
}

// Which of ECONNRESET and EPIPE a failed read or write gets after the peer's reset races in
// the kernel, under Node too.
function kernelRace(event) {
  return event.replace(/(ECONNRESET|EPIPE):(read|write)/, '<RESET>:$2');
}

function normalise(o) {
  const out = structuredClone(o);
  for (const me of ['c', 's']) out.end[me].events = out.end[me].events.map(kernelRace);
  return out;
}

// FC_REPLAY='<sequence as printed>': runs that one sequence and prints both outcomes.
if (process.env.FC_REPLAY) {
  const cmds = JSON.parse(process.env.FC_REPLAY);
  for (const name of ['node1', 'shim']) console.log(name, JSON.stringify(await outcome(name, cmds), null, 1));
  for (const { server } of Object.values(servers)) await closed(server);
  process.exit(0);
}

let sequences = 0;
let calls = 0;
let nodeRaces = 0;
// A shim pair that Node closes must close under the shim.
let shimStuck = 0;
const seen = {};
t.test(`${RUNS} random socket sequences: uring-shim/net behaves as node:net`, async (t) => {
  t.comment(`seed ${SEED} (reproduce: FC_SEED=${SEED} FC_RUNS=${RUNS})`);
  const started = Date.now();
  const before = stats().completions;
  let failure = null;
  const property = fc.asyncProperty(fc.array(sequence, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
    const [node1, node2, shim] = await Promise.all(['node1', 'node2', 'shim'].map((name) => Promise.all(batch.map((cmds) => outcome(name, cmds)))));
    for (let i = 0; i < batch.length; i++) {
      sequences++;
      calls += batch[i].length;
      if (node1[i].stuck) return false;
      if (shim[i].stuck) shimStuck++;
      for (const e of [...node1[i].end.c.events, ...node1[i].end.s.events]) seen[e.split(':').slice(0, 2).join(':')] = (seen[e.split(':').slice(0, 2).join(':')] ?? 0) + 1;
      const oracle = normalise(node1[i]);
      const later = normalise(node2[i]);
      if (!isDeepStrictEqual(oracle, later)) nodeRaces++;
      const got = normalise(shim[i]);
      if (!isDeepStrictEqual(got, oracle) && !isDeepStrictEqual(got, later)) {
        failure = { cmds: batch[i], node: oracle, shim: got };
        return false;
      }
    }
    return true;
  });
  const details = await fc.check(property, { numRuns: Math.ceil(RUNS / BATCH), seed: SEED, endOnFailure: true });
  if (details.failed) {
    t.fail(`counterexample (FC_SEED=${details.seed}):\n${JSON.stringify(failure?.cmds)}`);
    if (failure) t.strictSame(failure.shim, failure.node, 'shim vs node on the counterexample');
    else t.fail(`${details.error ?? 'a sequence did not close under node:net'}`);
  }
  // Sockets a failed sequence left open (Node's leaked handles among them) must not hold the run.
  for (const socket of everySocket) socket.destroy();
  for (const { server } of Object.values(servers)) server.close();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  t.ok(sequences >= RUNS || details.failed, `${sequences} sequences (${calls} calls per implementation) in ${seconds} s; ${nodeRaces} where Node differed from itself`);
  // Not vacuous: Node's own runs agreed almost always, and the ends met data, ends, errors.
  t.ok(nodeRaces < sequences / 20, `Node reproduced itself in ${sequences - nodeRaces} of ${sequences}`);
  t.ok(seen.end > 0 && seen['error:ECONNRESET'] > 0 && seen['close:true'] > 0 && seen['cb:write'] > 0, `events under Node: ${JSON.stringify(seen)}`);
  t.ok(stats().completions - before > sequences, `the ring carried the shim's sockets (${stats().completions - before} completions)`);
});

t.test('the shim closed every pair that Node closed', async (t) => {
  t.ok(sequences > 0, `${sequences} sequences ran`);
  t.equal(shimStuck, 0, `no pair left open under the shim (seed ${SEED})`);
});

// A counterexample can leave sockets Node itself never closes (handles it leaks, a loop that
// keeps spinning); once every test has reported, they must not hold the process open.
t.teardown(() => setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref());
