// `server.listen({ reusePort: true })` (Node >= 22.12): two independent processes under
// --require uring-shim/register share a port, the kernel spreads connections, and each process
// serves from its own ring. Runs on the newest Node fetched by scripts/fetch-node-versions.sh.
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fork, spawnSync } from 'node:child_process';
import { repo, tmpTree } from './helpers.mjs';

const fetched = spawnSync('bash', [path.join(repo, 'scripts/fetch-node-versions.sh'), '24'], { encoding: 'utf8', timeout: 300_000 });
const node = fetched.status === 0 ? fetched.stdout.trim().split(' ')[1] : null;
t.ok(node, 'Node 24 is available (scripts/fetch-node-versions.sh)', { stderr: fetched.stderr?.slice(-1000) });

t.test('two processes, one port', { skip: !node && 'no Node 24', timeout: 60_000 }, async (t) => {
  const root = tmpTree('uring-shim-reuseport-');
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.writeFileSync(path.join(root, 'page.html'), '<p>served</p>'.repeat(1000));
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => { const { port: p } = probe.address(); probe.close(() => resolve(p)); });
  });
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.includes('TAP') && k !== 'NODE_OPTIONS'));
  // env(1) as execPath: tap's process-info hook would add its --import to NODE_OPTIONS.
  const children = [0, 1].map(() => fork(path.join(repo, 'test/apps/fixtures/reuseport.cjs'), [String(port), root], {
    cwd: repo, env, execPath: 'env', execArgv: ['-u', 'NODE_OPTIONS', node, '--require', 'uring-shim/register'],
  }));
  t.teardown(() => children.forEach((c) => c.kill()));
  await Promise.all(children.map((c) => new Promise((resolve) => c.once('message', resolve))));

  const get = () => new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/page.html', agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ pid: Number(res.headers['x-pid']), body }));
    }).on('error', reject);
  });
  const results = await Promise.all(Array.from({ length: 40 }, get));
  t.ok(results.every((r) => r.body === '<p>served</p>'.repeat(1000)), 'every body is right');
  const reports = await Promise.all(children.map((c) => new Promise((resolve) => { c.once('message', resolve); c.send('stats'); })));
  for (const { pid, stats } of reports) {
    const served = results.filter((r) => r.pid === pid).length;
    t.ok(served > 0, `process ${pid} took connections (${served} of 40)`);
    t.equal(stats.backend, 'io_uring', `process ${pid} runs on its own ring`);
    t.equal(stats.ring.readFile ?? 0, served, `process ${pid}: its ring carried the readFile of each of its requests`);
  }
  await Promise.all(children.map((c) => new Promise((resolve) => { c.once('exit', resolve); c.send('exit'); })));
});
