#!/usr/bin/env node
// Net benchmarks, uring-shim/register vs plain node, interleaved rounds (`--quick`: 1.5 s runs,
// 2 rounds; `--floor`: N1 also against the floors below it, see lib.mjs serverArgv). Server (the
// process under test) and load generator (load.c, or load.mjs without a compiler: see
// load-generator.mjs) pinned to different CPUs (lib.mjs).
//   N1 echo, 50 connections ping-ponging 64 B and 16 KiB messages     (messages/s)
//   N2 http hello world, 50 keep-alive connections, after 1 s of it  (requests/s, p99)
//   N3 1 GiB over 3 connections in 64 KiB writes with 'drain'         (bytes/s)
//   and two cases of our own: N1 64 B with the server and the load generator on one CPU, and
//   64 B round trips on one connection, where the server sleeps between messages  (messages/s)
// Syscalls per message: strace -f of the server during one extra N1 64 B run (the load's span only).
// Server CPU per message: user and kernel time of the server's own CPU while the load ran.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { netjsAlone, serverArgv, serverCase, start, nodeArgs } from './lib.mjs';
import { loadGenerator } from './load-generator.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const floors = process.argv.includes('--floor') ? ['handles', ...(serverArgv('ring', 'echo') === null ? [] : ['ring'])] : [];
const ceiling = floors.includes('ring');
const seconds = quick ? 1.5 : 5;
const rounds = quick ? 2 : 3;
const gib = quick ? 256 << 20 : 1 << 30;
const cpus = os.cpus().length;

async function sendCase(impl) {
  const sink = start([...loadGenerator().argv, 'sink'], 1);
  const port = await sink.line;
  const sender = start([...nodeArgs(impl), path.join(here, 'server.mjs'), 'send', port, gib, 3], 0);
  const result = JSON.parse(await sender.line);
  sink.child.kill('SIGTERM');
  return { rate: result.bytes / result.seconds };
}

const cases = [
  { name: 'N1 64 B', run: (impl) => serverCase(impl, 'echo', [50, 64, seconds]), unit: 'msg/s', target: 1.5, floors, size: 64 },
  { name: 'N1 16 KiB', run: (impl) => serverCase(impl, 'echo', [50, 16384, seconds]), unit: 'msg/s', target: 1.6, floors, size: 16384 },
  // Not one of the cases: N1 64 B with the load generator on the server's CPU.
  { name: 'N1 64 B, one CPU', run: (impl) => serverCase(impl, 'echo', [50, 64, seconds], { oneCpu: true }), unit: 'msg/s', target: 1.0 },
  // Not one of the cases: one connection, so every message wakes a sleeping server --
  // its rate is one over the round trip.
  { name: 'round trips, 1 connection', run: (impl) => serverCase(impl, 'echo', [1, 64, seconds]), unit: 'msg/s', target: 1.0 },
  // (After a warm-up, as the issue defines N2: its p99 is the steady state's, not the JIT's.)
  { name: 'N2 http', run: (impl) => serverCase(impl, 'http', [50, seconds], { warmup: 1 }), unit: 'req/s', target: 1.1 },
  { name: 'N3 1 GiB', run: (impl) => sendCase(impl), unit: 'B/s', target: 1.0 },
];

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
const cpuRows = [];
const floorRows = [];
for (const c of cases) {
  const impls = ['node', 'shim', ...(c.floors ?? [])];
  const got = Object.fromEntries(impls.map((impl) => [impl, []]));
  for (let r = 0; r < rounds; r++) {
    for (const impl of impls) {
      got[impl].push(await c.run(impl));
      process.stderr.write(`${c.name} ${impl} round ${r + 1}: ${Math.round(got[impl].at(-1).rate)}\n`);
    }
  }
  const rate = (impl) => median(got[impl].map((x) => x.rate));
  const node = rate('node');
  const shim = rate('shim');
  const p99 = (impl) => (got[impl][0].p99 !== undefined ? median(got[impl].map((x) => x.p99)).toFixed(2) : '');
  rows.push([c.name, c.unit, Math.round(node), Math.round(shim), (shim / node).toFixed(2), `≥${c.target}`, p99('node'), p99('shim')]);
  const cpu = (impl, key) => median(got[impl].map((x) => x.cpu[key]));
  const cpuTotal = (impl) => cpu(impl, 'user') + cpu(impl, 'kernel');
  for (const impl of impls) {
    if (got[impl][0].cpu === undefined) continue;
    cpuRows.push([c.name, impl, cpu(impl, 'user').toFixed(2), cpu(impl, 'kernel').toFixed(2), cpuTotal(impl).toFixed(2), `${Math.round(cpu(impl, 'busy') * 100)}%`]);
  }
  if (c.floors?.length) {
    const row = [c.name, ...impls.map((impl) => (rate(impl) / node).toFixed(2))];
    // The best any drop-in could do: the ring's CPU per message with nothing above it, plus
    // net.js's with nothing below it, against node's.
    if (ceiling && got.node[0].cpu !== undefined) {
      const netjs = median([0, 1, 2].map(() => netjsAlone(c.size).microseconds));
      row.push(netjs.toFixed(2), (cpuTotal('node') / (cpuTotal('ring') + netjs)).toFixed(2));
    }
    floorRows.push(row);
  }
}

async function syscallsPerMessage(impl) {
  const r = await serverCase(impl, 'echo', [50, 64, seconds], { trace: true });
  return r.syscalls / r.ops;
}

console.log(`## net: uring-shim vs node — Node ${process.version}, ${cpus} CPUs, ${os.release()}${quick ? ', --quick' : ''}, load: ${loadGenerator().name}\n`);
console.log('| case | unit | node | shim | ratio | target | node p99 ms | shim p99 ms |');
console.log('|---|---|---:|---:|---:|---|---:|---:|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
if (cpuRows.length > 0) {
  console.log('\nServer CPU per message or request (µs, medians; the server\'s own CPU while the load ran):\n');
  console.log('| case | server | user | kernel | total | busy |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const row of cpuRows) console.log(`| ${row.join(' | ')} |`);
}
if (floorRows.length > 0) {
  console.log('\nFloors, as rates over node\'s (handles: the shim\'s ring handles without net.js; ring: a C echo server on the same ring features)' +
    (ceiling ? '; net.js: its CPU µs per message with no I/O under it (netjs-alone.mjs); ceiling: node\'s CPU per message over ring\'s plus net.js\'s, the most a drop-in on the ring that runs net.js could reach' : '') + ':\n');
  const extra = ceiling ? ['net.js µs', 'ceiling'] : [];
  console.log(`| case | node | shim | ${[...floors, ...extra].join(' | ')} |`);
  console.log(`|---|${'---:|'.repeat(2 + floors.length + extra.length)}`);
  for (const row of floorRows) console.log(`| ${row.join(' | ')} |`);
}
if (spawnSync('strace', ['-V']).status === 0) {
  const perNode = await syscallsPerMessage('node');
  const perShim = await syscallsPerMessage('shim');
  console.log(`\nSyscalls per echoed 64 B message (server, all threads, strace -f while the load ran): node ${perNode.toFixed(2)}, shim ${perShim.toFixed(2)}`);
}
