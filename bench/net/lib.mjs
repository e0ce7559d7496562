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
import { compiled, loadGenerator } from './load-generator.mjs';

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

// The process under test: server.mjs under plain node or the shim; or, for echo only, one of the
// floors `run.mjs --floor` measures -- `handles`, the shim's ring handles without net.js
// (handle-echo.mjs), and `ring`, a C server on the same ring features (ring-echo.c; null without
// a compiler or liburing's headers).
export function serverArgv(impl, kind) {
  if (impl === 'ring') {
    const binary = compiled('ring-echo', ['-luring']);
    return binary === null ? null : [binary];
  }
  if (impl === 'handles') return [process.execPath, path.join(here, 'handle-echo.mjs')];
  return [...nodeArgs(impl), SERVER, kind];
}

// What net.js itself spends echoing `messages` messages of `size` bytes with no I/O under it
// (netjs-alone.mjs), on the server's CPU: { microseconds (CPU per message), messages, echoed }.
export function netjsAlone(size, messages = 300_000) {
  const [cmd, ...args] = [...pin(0), process.execPath, path.join(here, 'netjs-alone.mjs'), String(size), String(messages)];
  const run = spawnSync(cmd, args, { env: childEnv, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
  if (run.status !== 0) throw new Error(`netjs-alone.mjs: ${run.stderr.trim().split('\n').at(-1) ?? `exit ${run.status}`}`);
  return JSON.parse(run.stdout);
}

// Time the server's CPU spent, from /proc/stat, in its USER_HZ ticks (10 ms): user space, and the
// kernel -- system calls, and the interrupts and softirqs that run there, where loopback TCP does
// the receiving side's work of every send. Null where the server is not pinned to its own CPU.
function serverCpuTicks() {
  if (!PINNED) return null;
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${CPUS[0]} `));
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return { user: user + nice, kernel: system + irq + softirq, total: user + nice + system + idle + iowait + irq + softirq + steal };
}
const TICK_MICROSECONDS = 10_000;

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
// arguments say. Resolves to the generator's result ({ rate, ops, p99? }), with `cpu` when the
// server has a CPU of its own: its user and kernel microseconds per op, and how busy it was
// (the load generator's wait for the server's answers shows as idle time). trace: the server
// runs under `strace -f -ttt` and the result also has `syscalls`, the server's system calls (all
// threads) while the load generator ran, startup and shutdown excluded. warmup: seconds of the
// same load first, untimed (the last load argument is the duration). oneCpu: the load generator
// runs on the server's CPU (a client and its server sharing a core, as in a small container).
export async function serverCase(impl, kind, loadArgs, { trace = false, warmup = 0, oneCpu = false } = {}) {
  const traceFile = path.join(os.tmpdir(), `uring-shim-net-strace-${process.pid}-${impl}`);
  const server = start(serverArgv(impl, kind), 0, trace ? ['strace', '-f', '-ttt', '-o', traceFile] : []);
  let serverPid;
  try {
    const [port, pid] = (await server.line).split(' ');
    serverPid = Number(pid);
    const runLoad = (args) => {
      const [cmd, ...rest] = [...pin(oneCpu ? 0 : 1), ...loadGenerator().argv, kind, port, ...args.map(String)];
      const load = spawnSync(cmd, rest, { env: childEnv, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
      if (load.status !== 0) throw new Error(`load generator: ${load.error?.message ?? load.stderr.trim().split('\n').at(-1) ?? `exit ${load.status}`}`);
      return JSON.parse(load.stdout.trim().split('\n').at(-1));
    };
    if (warmup > 0) runLoad([...loadArgs.slice(0, -1), warmup]);
    const t0 = Date.now() / 1000;
    const cpu0 = serverCpuTicks();
    const result = runLoad(loadArgs);
    const cpu1 = serverCpuTicks();
    const t1 = Date.now() / 1000;
    if (cpu0 !== null && result.ops > 0 && !oneCpu) {
      const spent = (key) => cpu1[key] - cpu0[key];
      result.cpu = {
        user: (spent('user') * TICK_MICROSECONDS) / result.ops,
        kernel: (spent('kernel') * TICK_MICROSECONDS) / result.ops,
        busy: (spent('user') + spent('kernel')) / spent('total'),
      };
    }
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
