#!/usr/bin/env node
// Net benchmarks, uring-shim/register vs plain node, interleaved rounds (`--quick`: 1 s runs,
// 2 rounds). Server (the process under test) pinned to CPU 0, load generator (load.c, or
// load.mjs without a compiler: see load-generator.mjs) pinned to CPU 1.
//   N1 echo, 50 connections ping-ponging 64 B and 16 KiB messages     (messages/s)
//   N2 http hello world, 50 keep-alive connections                   (requests/s, p99)
//   N3 1 GiB over 3 connections in 64 KiB writes with 'drain'         (bytes/s)
// Syscalls per message: strace -c -f of the server during one extra (unpinned) N1 64 B run.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadGenerator } from './load-generator.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const register = path.join(here, '../../dist/cjs/register.js');
const quick = process.argv.includes('--quick');
const seconds = quick ? 1.5 : 5;
const rounds = quick ? 2 : 3;
const gib = quick ? 256 << 20 : 1 << 30;
const cpus = os.cpus().length;
const pin = (cpu) => (cpus > 1 ? ['taskset', '-c', String(cpu)] : []);

function start(argv, cpu) {
  const [cmd, ...args] = [...pin(cpu), ...argv];
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; if (out.includes('\n')) resolve(out.split('\n')[0]); });
    child.on('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}`)));
  });
  return { child, line };
}

const nodeArgs = (impl) => (impl === 'shim' ? [process.execPath, '--require', register] : [process.execPath]);

async function serverCase(impl, kind, loadArgs) {
  const server = start([...nodeArgs(impl), path.join(here, 'server.mjs'), kind], 0);
  const port = await server.line;
  const [cmd, ...args] = [...pin(1), ...loadGenerator().argv, kind, port, ...loadArgs.map(String)];
  const load = spawnSync(cmd, args, { encoding: 'utf8' });
  server.child.kill('SIGTERM');
  if (load.status !== 0) throw new Error(load.stderr);
  return JSON.parse(load.stdout.trim());
}

async function sendCase(impl) {
  const sink = start([...loadGenerator().argv, 'sink'], 1);
  const port = await sink.line;
  const sender = start([...nodeArgs(impl), path.join(here, 'server.mjs'), 'send', port, gib, 3], 0);
  const result = JSON.parse(await sender.line);
  sink.child.kill('SIGTERM');
  return { rate: result.bytes / result.seconds };
}

const cases = [
  { name: 'N1 64 B', run: (impl) => serverCase(impl, 'echo', [50, 64, seconds]), unit: 'msg/s', target: 1.5 },
  { name: 'N1 16 KiB', run: (impl) => serverCase(impl, 'echo', [50, 16384, seconds]), unit: 'msg/s', target: 1.6 },
  { name: 'N2 http', run: (impl) => serverCase(impl, 'http', [50, seconds]), unit: 'req/s', target: 1.1 },
  { name: 'N3 1 GiB', run: (impl) => sendCase(impl), unit: 'B/s', target: 1.0 },
];

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const c of cases) {
  const got = { node: [], shim: [] };
  for (let r = 0; r < rounds; r++) {
    for (const impl of ['node', 'shim']) {
      got[impl].push(await c.run(impl));
      process.stderr.write(`${c.name} ${impl} round ${r + 1}: ${Math.round(got[impl].at(-1).rate)}\n`);
    }
  }
  const node = median(got.node.map((x) => x.rate));
  const shim = median(got.shim.map((x) => x.rate));
  const p99 = (impl) => (got[impl][0].p99 !== undefined ? median(got[impl].map((x) => x.p99)).toFixed(2) : '');
  rows.push([c.name, c.unit, Math.round(node), Math.round(shim), (shim / node).toFixed(2), `≥${c.target}`, p99('node'), p99('shim')]);
}

async function syscallsPerMessage(impl) {
  const out = path.join(os.tmpdir(), `uring-shim-strace-${impl}-${process.pid}`);
  const server = start(['strace', '-f', '-c', '-o', out, ...nodeArgs(impl), path.join(here, 'server.mjs'), 'echo'], 0);
  const port = await server.line;
  const [cmd, ...args] = [...loadGenerator().argv, 'echo', port, '50', '64', String(seconds)];
  const load = spawnSync(cmd, args, { encoding: 'utf8' });
  const messages = JSON.parse(load.stdout.trim()).rate * seconds;
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.on('exit', r));
  const text = fs.readFileSync(out, 'utf8');
  fs.rmSync(out, { force: true });
  const total = text.split('\n').find((l) => /\btotal\s*$/.test(l));
  const calls = total ? Number(total.trim().split(/\s+/)[2]) : NaN;
  return calls / messages;
}

console.log(`## net: uring-shim vs node — Node ${process.version}, ${cpus} CPUs, ${os.release()}${quick ? ', --quick' : ''}, load: ${loadGenerator().name}\n`);
console.log('| case | unit | node | shim | ratio | target | node p99 ms | shim p99 ms |');
console.log('|---|---|---:|---:|---:|---|---:|---:|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
if (spawnSync('strace', ['-V']).status === 0) {
  const perNode = await syscallsPerMessage('node');
  const perShim = await syscallsPerMessage('shim');
  console.log(`\nSyscalls per echoed 64 B message (server, strace -c -f, includes start-up): node ${perNode.toFixed(2)}, shim ${perShim.toFixed(2)}`);
}
