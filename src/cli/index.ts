#!/usr/bin/env node
// `npx uring-shim <doctor|demo>`: the package's command line.
//   doctor [--json]   can io_uring be used here, why not, and what the shim will do (exit 0: usable)
//   demo              stock Node and uring-shim side by side on a short fs + net workload, then a table
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { format, report } from './doctor';

const USAGE = `usage: uring-shim <command>
  doctor [--json]   check whether io_uring is usable here, why not, and what the shim will do
                    (exit status 0 when the ring is usable, 1 otherwise)
  demo              run a short fs + net workload with stock Node and with uring-shim, side by
                    side (about a minute), and print throughput, syscalls per operation, ratios`;

function doctor(args: string[]): number {
  const r = report();
  process.stdout.write(`${args.includes('--json') ? JSON.stringify(r, null, 2) : format(r)}\n`);
  return r.usable ? 0 : 1;
}

// The demo is the bench harness's (bench/demo.mjs, shipped in the package): each side runs in
// fresh child processes, which import this package by its own name.
function demo(args: string[]): number {
  const script = join(__dirname, '..', '..', '..', 'bench', 'demo.mjs');
  const child = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' });
  if (child.error) {
    process.stderr.write(`uring-shim demo: ${child.error.message}\n`);
    return 1;
  }
  return child.status ?? 1;
}

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, (args: string[]) => number> = { doctor, demo };
if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
  process.stdout.write(`${USAGE}\n`);
} else if (!Object.hasOwn(commands, command)) {
  process.stderr.write(`uring-shim: unknown command '${command}'\n${USAGE}\n`);
  process.exitCode = 2;
} else {
  process.exitCode = commands[command](rest);
}
