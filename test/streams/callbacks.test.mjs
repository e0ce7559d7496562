// A stream callback that throws (here: a 'data' listener) is an uncaught exception, as with
// Node's own fs callbacks, and the other streams whose completions arrived in the same batch
// still get theirs. The same script runs with node:fs and with uring-shim/fs; outputs must match.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const script = (impl, dir) => `
  const fs = ${impl === 'node' ? "require('node:fs')" : "require('uring-shim/fs')"};
  const seen = [];
  process.on('uncaughtException', (error, origin) => seen.push([error.message, origin]));
  process.on('exit', () => console.log(JSON.stringify(seen.sort())));
  for (let i = 0; i < 4; i++) {
    let bytes = 0;
    const s = fs.createReadStream(${JSON.stringify(dir)} + '/f' + i, { highWaterMark: 1024 });
    s.on('data', (chunk) => { bytes += chunk.length; if (i === 1 && bytes === 1024) throw new Error('from data ' + i); });
    s.on('close', () => seen.push(['closed', i, bytes]));
  }
`;

t.test('a throwing data listener among concurrent streams', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-streams-cb-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (let i = 0; i < 4; i++) fs.writeFileSync(`${dir}/f${i}`, Buffer.alloc(5000 + i, i));
  const out = {};
  for (const impl of ['node', 'shim']) {
    const r = spawnSync(process.execPath, ['-e', script(impl, dir)], { encoding: 'utf8', cwd: process.cwd() });
    t.equal(r.status, 0, `${impl} exits normally: ${r.stderr}`);
    out[impl] = JSON.parse(r.stdout);
  }
  t.strictSame(out.shim, out.node);
  // The stream whose listener threw stalls (in Node too); the others finish.
  t.strictSame(out.node, [['closed', 0, 5000], ['closed', 2, 5002], ['closed', 3, 5003], ['from data 1', 'uncaughtException']].sort());
});
