// Generates the ESM entry points as thin wrappers over the CJS build, so that `import` and
// `require` share one module instance (and so one ring per JS environment).
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { exports: exportMap } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const identifier = /^[A-Za-z_$][\w$]*$/;
// Entry points that mirror a Node module. Their ESM names must be the running Node's, not those
// of the Node that built this (fs.promises.glob is Node 22+; Node 24 dropped fs.F_OK): whatever
// the shim does not replace is re-exported from Node's own module.
const MIRRORS = { './fs': 'node:fs', './fs/promises': 'node:fs/promises', './net': 'node:net' };

// What a mirror replaces is found by comparing with Node's modules, so they must be Node's own.
if (Object.keys(require.cache).some((file) => file.startsWith(join(root, 'dist')))) {
  throw new Error('build-esm: uring-shim is preloaded (NODE_OPTIONS?); build without it');
}

for (const [subpath, target] of Object.entries(exportMap)) {
  if (typeof target !== 'object') continue;
  const cjsFile = join(root, target.require.default);
  const esmFile = join(root, target.import.default);
  const cjs = require(cjsFile);
  const builtin = MIRRORS[subpath] && require(MIRRORS[subpath]);
  // A mirror names only what it replaces; `export *` brings the rest from the running Node.
  const names = Object.keys(cjs).filter((name) => identifier.test(name) && name !== 'default' && !(builtin && cjs[name] === builtin[name]));
  const relativePath = relative(dirname(esmFile), cjsFile).split('\\').join('/');
  const specifier = relativePath.startsWith('.') ? relativePath : `./${relativePath}`;
  mkdirSync(dirname(esmFile), { recursive: true });
  writeFileSync(esmFile, [
    `// Generated from ${target.require.default} for '${subpath}'.`,
    "import { createRequire } from 'node:module';",
    `const cjs = createRequire(import.meta.url)('${specifier}');`,
    'export default cjs;',
    MIRRORS[subpath] ? `export * from '${MIRRORS[subpath]}';` : '',
    names.length ? `export const { ${names.join(', ')} } = cjs;` : '',
    '',
  ].join('\n'));
  // Entry points whose public types are written by hand (types/) keep them.
  if (!target.import.types.startsWith('./dist/')) continue;
  writeFileSync(join(root, target.import.types), [
    `import * as cjs from '${specifier}';`,
    `export * from '${specifier}';`,
    'export default cjs;',
    '',
  ].join('\n'));
}
