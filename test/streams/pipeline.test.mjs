// Streams composed the usual ways: pipe(), stream.pipeline(), and under `uring-shim/register`
// (fs.createReadStream, process.stdin from a file), where the ring must carry the I/O.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { createGzip, createGunzip } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { stats } from 'uring-shim';
import { impls, payload, sha256, twinDirs } from '../helpers/streams.mjs';

const register = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cjs/register.js');
const data = payload(3 * 1024 * 1024 + 17, 11);

t.test('pipeline copy, through gzip and back', async (t) => {
  const dirs = twinDirs(t, { 'in.bin': data });
  const shim = impls.shim;
  const dir = dirs.shim;
  await pipeline(shim.createReadStream(`${dir}/in.bin`), shim.createWriteStream(`${dir}/copy.bin`));
  t.equal(sha256(fs.readFileSync(`${dir}/copy.bin`)), sha256(data), 'plain copy');
  await pipeline(shim.createReadStream(`${dir}/in.bin`, { highWaterMark: 5000 }), createGzip(), shim.createWriteStream(`${dir}/in.gz`));
  await pipeline(shim.createReadStream(`${dir}/in.gz`), createGunzip(), shim.createWriteStream(`${dir}/out.bin`, { highWaterMark: 100000 }));
  t.equal(sha256(fs.readFileSync(`${dir}/out.bin`)), sha256(data), 'gzip round trip');
});

t.test('pipe()', async (t) => {
  const dirs = twinDirs(t, { 'in.bin': data });
  const dir = dirs.shim;
  const out = impls.shim.createWriteStream(`${dir}/piped.bin`);
  impls.shim.createReadStream(`${dir}/in.bin`, { start: 100, end: 2000000 }).pipe(out);
  await new Promise((resolve) => out.on('close', resolve));
  t.equal(sha256(fs.readFileSync(`${dir}/piped.bin`)), sha256(data.subarray(100, 2000001)));
});

t.test('a failing pipeline reports the error and closes both ends', async (t) => {
  const dirs = twinDirs(t, { 'in.bin': data });
  const dir = dirs.shim;
  const rs = impls.shim.createReadStream(`${dir}/in.bin`);
  const ws = impls.shim.createWriteStream(`${dir}/missing/out.bin`);
  await t.rejects(pipeline(rs, ws), { code: 'ENOENT', syscall: 'open' });
  t.ok(rs.destroyed && ws.destroyed);
});

t.test('under register: node:fs streams are ring-backed', async (t) => {
  const before = stats();
  if (before.backend !== 'io_uring') return t.skip(`backend ${before.backend}`);
  const dirs = twinDirs(t, { 'in.bin': data });
  const dir = dirs.shim;
  const script = `
    const fs = require('fs');
    const { pipeline } = require('stream');
    const { stats } = require(${JSON.stringify(path.resolve(register, '..', 'index.js'))});
    const chunks = [];
    process.stdin.on('data', (c) => chunks.push(c)).on('end', () => {
      const stdinBytes = Buffer.concat(chunks).length;
      pipeline(fs.createReadStream(process.argv[1]), fs.createWriteStream(process.argv[2]), (err) => {
        if (err) throw err;
        const s = stats();
        console.log(JSON.stringify({ stdinBytes, stdinIsFs: process.stdin instanceof fs.ReadStream,
          classes: fs.ReadStream.name + ',' + fs.WriteStream.name, ring: s.ring }));
      });
    });`;
  const r = spawnSync(process.execPath, ['--require', register, '-e', script, `${dir}/in.bin`, `${dir}/out.bin`], {
    stdio: [fs.openSync(`${dir}/in.bin`), 'pipe', 'pipe'], encoding: 'utf8',
  });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.equal(out.stdinBytes, data.length, 'process.stdin from a file');
  t.ok(out.stdinIsFs);
  t.equal(sha256(fs.readFileSync(`${dir}/out.bin`)), sha256(data));
  t.ok(out.ring['ReadStream.read'] >= 2 * Math.ceil(data.length / 65536), 'stdin and the file read on the ring');
  t.ok(out.ring['WriteStream.write'] > 0, 'writes on the ring');
});

t.test('under register: a stream class an earlier preload installed is left alone', async (t) => {
  const dirs = twinDirs(t, { 'preload.js': 'const fs = require("fs"); fs.ReadStream = class Mine extends fs.ReadStream {};' });
  const script = `
    const fs = require('fs');
    const shim = require(${JSON.stringify(path.resolve(register, '..', 'fs', 'index.js'))});
    console.log(JSON.stringify([fs.ReadStream.name, fs.WriteStream === shim.WriteStream, fs.createReadStream(process.argv[1]).destroy() instanceof shim.ReadStream]));`;
  const r = spawnSync(process.execPath, ['--require', `${dirs.shim}/preload.js`, '--require', register, '-e', script, `${dirs.shim}/preload.js`], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const ring = stats().backend === 'io_uring';
  t.strictSame(JSON.parse(r.stdout), ['Mine', ring, false], 'ReadStream stays the preload\'s; WriteStream is the shim\'s');
});
