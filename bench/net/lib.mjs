// Shared by run.mjs and ../demo.mjs: a net case is the process under test (server.mjs, plain
// node or node --require uring-shim/register) and a load generator (load.c, or load.mjs without
// a compiler: load-generator.mjs), each in its own process, pinned to different CPUs when this
// process may use two or more.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, REGISTER } from '../lib.mjs';
import { loadGenerator } from './load-generator.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SERVER = path.join(here, 'server.mjs');

// The CPUs this process may run on (a container's cpuset may exclude CPU 0), from
// /proc/self/status; none when taskset is missing, so nothing is pinned.
function allowedCpus() {
  if (spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status !== 0) return [];
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
  return list.split(',').flatMap((part) => {
    const [a, b = a] = part.split('-').map(Number);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}
const CPUS = allowedCpus();
export const PINNED = CPUS.length >= 2;
// role 0: the process under test, role 1: the load generator.
const pin = (role) => (PINNED ? ['taskset', '-c', String(CPUS[role])] : []);

export const nodeArgs = (impl) => (impl === 'shim' ? [process.execPath, '--require', REGISTER] : [process.execPath]);

// Starts a process that prints one line when ready (server.mjs: "<port> <pid>"); `line` resolves
// to it, or rejects with the process's last stderr line if it exits first.
export function start(argv, role, prefix = []) {
  const [cmd, ...args] = [...pin(role), ...prefix, ...argv];
  const child = spawn(cmd, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err = (err + d).slice(-2000); });
  const exited = new Promise((resolve) => child.on('close', resolve));
  const line = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; if (out.includes('\n')) resolve(out.split('\n')[0]); });
    child.on('error', reject);
    exited.then((code) => reject(new Error(`${argv.map(String).find((a) => a.endsWith(".mjs")) ?? argv[0]} exited ${code}: ${err.trim().split('\n').at(-1) ?? ''}`)));
  });
  return { child, line, exited };
}

// One run: the server under test, then the load generator against it for as long as its
// arguments say. Resolves to the generator's result ({ rate, ops, p99? }). trace: the server
// runs under `strace -f -ttt` and the result also has `syscalls`, the server's system calls (all
// threads) while the load generator ran, startup and shutdown excluded.
export async function serverCase(impl, kind, loadArgs, { trace = false } = {}) {
  const traceFile = path.join(os.tmpdir(), `uring-shim-net-strace-${process.pid}-${impl}`);
  const server = start([...nodeArgs(impl), SERVER, kind], 0, trace ? ['strace', '-f', '-ttt', '-o', traceFile] : []);
  let serverPid;
  try {
    const [port, pid] = (await server.line).split(' ');
    serverPid = Number(pid);
    const t0 = Date.now() / 1000;
    const [cmd, ...args] = [...pin(1), ...loadGenerator().argv, kind, port, ...loadArgs.map(String)];
    const load = spawnSync(cmd, args, { env: childEnv, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
    const t1 = Date.now() / 1000;
    if (load.status !== 0) throw new Error(`load generator: ${load.error?.message ?? load.stderr.trim().split('\n').at(-1) ?? `exit ${load.status}`}`);
    const result = JSON.parse(load.stdout.trim().split('\n').at(-1));
    if (trace) {
      await stop(server, serverPid);
      result.syscalls = countSyscalls(fs.readFileSync(traceFile, 'utf8'), t0, t1);
    }
    return result;
  } finally {
    await stop(server, serverPid);
    fs.rmSync(traceFile, { force: true });
  }
}

// SIGTERM to node itself (under strace, server.child is strace, which exits after it).
async function stop(server, pid) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  try { process.kill(pid ?? server.child.pid, 'SIGTERM'); } catch { /* gone already */ }
  await server.exited;
}

// Lines of `strace -f -ttt` output are "<pid> <epoch seconds> <syscall>(..."; a call strace
// shows split ("<unfinished ...>", then "<... x resumed>") counts once, by its first line.
function countSyscalls(text, t0, t1) {
  let n = 0;
  for (const m of text.matchAll(/^\d+\s+(\d+\.\d+) [a-z_0-9]+\(/gm)) {
    const t = Number(m[1]);
    if (t > t0 && t < t1) n++;
  }
  return n;
}
