// https server and client under --require uring-shim/register. The certificate is made at test
// time with openssl when it is installed, else the committed fixture pair is used.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runApp, assertOnRing, repo, tmpTree } from './helpers.mjs';

const dir = tmpTree('uring-shim-cert-');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const openssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
  '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore', timeout: 30_000 });
if (openssl.status !== 0) {
  t.comment('openssl unavailable: using the fixture key pair');
  fs.copyFileSync(path.join(repo, 'test/apps/fixtures/localhost-key.pem'), path.join(dir, 'key.pem'));
  fs.copyFileSync(path.join(repo, 'test/apps/fixtures/localhost-cert.pem'), path.join(dir, 'cert.pem'));
}

const { checks, stats } = runApp(t, 'https', { args: [dir] });
t.same(checks, { bytes: true, authorized: true }, 'eight parallel https fetches got every byte over a verified connection');
assertOnRing(t, 'https', stats);
