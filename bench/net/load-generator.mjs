// The load generator's command line: the C epoll client (load.c, built once into the temp
// directory with the system cc) when there is a compiler, Node's load.mjs otherwise. Both take
// the same arguments and print the same JSON line.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

// A C source of this folder built once with the system cc into the temp directory (named by its
// digest, so an edit rebuilds it); null without a compiler or a library it links.
export function compiled(name, libraries = []) {
  const source = path.join(here, `${name}.c`);
  const digest = createHash('sha256').update(fs.readFileSync(source)).digest('hex').slice(0, 12);
  const binary = path.join(os.tmpdir(), `uring-shim-${name}-${digest}`);
  const built = fs.existsSync(binary) ||
    spawnSync('cc', ['-O2', '-o', binary, source, ...libraries], { stdio: 'ignore' }).status === 0;
  return built ? binary : null;
}

let command;
export function loadGenerator() {
  if (command) return command;
  const binary = compiled('load');
  command = binary !== null ? { argv: [binary], name: 'C epoll client' } : { argv: [process.execPath, path.join(here, 'load.mjs')], name: 'node client' };
  return command;
}
