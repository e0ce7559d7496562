// Builds the addon with cmake-js. As an install script it never fails the install: without a
// toolchain or liburing the package still works, through Node's own modules, and says so once.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.argv.includes('--strict');
// --asan: AddressSanitizer + UBSan build (CMakeLists.txt's Asan type) into build-asan/, for the
// sanitizer tests; load it with URING_SHIM_ADDON=build-asan/Asan/uring_shim.node.
const asan = process.argv.includes('--asan');

function missingPrerequisite() {
  if (process.platform !== 'linux') return `io_uring needs Linux (this is ${process.platform})`;
  for (const tool of ['cmake', 'c++', 'pkg-config']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) return `${tool} is not installed`;
  }
  if (spawnSync('pkg-config', ['--exists', 'liburing']).status !== 0) return 'liburing is not installed (apt-get install liburing-dev)';
  return null;
}

const missing = missingPrerequisite();
if (missing) {
  console.log(`uring-shim: native addon not built: ${missing}; using Node's own fs and net.`);
  process.exit(strict ? 1 : 0);
}

// cmake-js reads Node's headers from npm's nodedir; outside `npm install` point it at the
// headers that ship with the running node, so nothing is downloaded.
const env = { ...process.env };
const localHeaders = join(dirname(dirname(process.execPath)));
if (!env.npm_config_nodedir && existsSync(join(localHeaders, 'include/node/node_api.h'))) {
  env.npm_config_nodedir = localHeaders;
}
// Installed as a dependency, cmake-js is usually hoisted next to us, not under our own
// node_modules: resolve it the way Node would.
function cmakeJsCli() {
  try {
    return createRequire(join(root, 'package.json')).resolve('cmake-js/bin/cmake-js');
  } catch {
    return null;
  }
}
const cli = cmakeJsCli();
const result = cli
  ? spawnSync(process.execPath, [cli, 'compile', '--directory', root, ...(asan ? ['--out', join(root, 'build-asan'), '--config', 'Asan'] : ['--out', join(root, 'build')])],
    { env, stdio: strict ? 'inherit' : 'pipe', encoding: 'utf8' })
  : { status: 1, stdout: '', stderr: 'cmake-js is not installed' };
if (result.status !== 0) {
  if (!strict) {
    const lastLine = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim().split('\n').pop();
    console.log(`uring-shim: native addon build failed (${lastLine}); using Node's own fs and net.`);
  }
  process.exit(strict ? 1 : 0);
}
