// Soak: a mixed fs + HTTP workload for a fixed time, sampling RSS, open descriptors and the
// shim's ring counters every second. Prints the samples as CSV, then the slopes and a summary
// JSON line. Exits 1 on any error (a failed or wrong result).
//
//   node --require uring-shim/register bench/soak.mjs --seconds 600      the documented 10-minute run
//   node --require uring-shim/register bench/soak.mjs --seconds 120      what CI runs (test/soak)
//   node bench/soak.mjs --seconds 60                                     plain Node, for comparison
//
// Options: --seconds N (default 60), --fs-loops N (default 16), --http-clients N (default 8),
// --csv FILE (write the samples there instead of stdout).
//
// The workload uses node:fs/promises and node:http, so it runs on the ring exactly where the
// process has the shim registered (fs now; sockets too once uring-shim/net is registered).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { stats } from 'uring-shim';

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    'fs-loops': { type: 'string', default: '16' },
    'http-clients': { type: 'string', default: '8' },
    csv: { type: 'string' },
  },
});
const SECONDS = Number(opts.seconds);
const FS_LOOPS = Number(opts['fs-loops']);
const HTTP_CLIENTS = Number(opts['http-clients']);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-soak-'));
const counts = { fsOps: 0, httpRequests: 0, connections: 0, errors: 0 };
const firstErrors = [];
let stopping = false;

function fail(where, error) {
  counts.errors++;
  if (firstErrors.length < 5) firstErrors.push(`${where}: ${String(error?.stack ?? error).split('\n').slice(0, 3).join(' | ')}`);
}

function payload(size) {
  return crypto.randomFillSync(Buffer.allocUnsafe(size));
}

// ---- files ------------------------------------------------------------------------------------
// Each loop owns a few names; every step checks what it reads against what it wrote.
async function fsLoop(id) {
  const file = (n) => path.join(dir, `f${id}-${n}`);
  const contents = new Map();
  let i = 0;
  while (!stopping) {
    const n = i++ % 4;
    const size = 1 + ((i * 7919) % 70_000);
    try {
      switch (i % 6) {
        case 0: {
          const data = payload(size);
          await fsp.writeFile(file(n), data);
          contents.set(n, data);
          break;
        }
        case 1: {
          if (!contents.has(n)) break;
          const got = await fsp.readFile(file(n));
          if (!got.equals(contents.get(n))) throw new Error(`readFile of ${file(n)}: wrong bytes`);
          break;
        }
        case 2: {
          if (!contents.has(n)) break;
          const fh = await fsp.open(file(n), 'r+');
          try {
            const data = contents.get(n);
            const at = Math.min(data.length - 1, 100);
            const { bytesRead, buffer } = await fh.read(Buffer.alloc(4096), 0, 4096, at);
            if (!buffer.subarray(0, bytesRead).equals(data.subarray(at, at + 4096))) throw new Error('FileHandle.read: wrong bytes');
            const patch = payload(512);
            await fh.write(patch, 0, patch.length, 0);
            contents.set(n, Buffer.concat([patch, data.subarray(patch.length)]).subarray(0, Math.max(data.length, patch.length)));
            if ((await fh.stat()).size !== contents.get(n).length) throw new Error('FileHandle.stat: wrong size');
          } finally {
            await fh.close();
          }
          break;
        }
        case 3: {
          if (!contents.has(n)) break;
          const s = await fsp.stat(file(n));
          if (s.size !== contents.get(n).length) throw new Error(`stat of ${file(n)}: size ${s.size}`);
          break;
        }
        case 4: {
          if (!contents.has(n)) break;
          await fsp.rename(file(n), `${file(n)}.moved`);
          await fsp.rename(`${file(n)}.moved`, file(n));
          break;
        }
        default: {
          if (!contents.has(n)) break;
          await fsp.unlink(file(n));
          contents.delete(n);
          await fsp.stat(file(n)).then(() => { throw new Error('stat after unlink succeeded'); }, (e) => { if (e.code !== 'ENOENT') throw e; });
        }
      }
      counts.fsOps++;
    } catch (error) {
      fail(`fs loop ${id}`, error);
    }
  }
}

// ---- HTTP ---------------------------------------------------------------------------------------
// GET /n serves a file the server reads per request; POST /n stores the body in that file.
function startServer() {
  const server = http.createServer(async (req, res) => {
    const target = path.join(dir, `http-${req.url.slice(1)}`);
    try {
      if (req.method === 'POST') {
        const chunks = [];
        for await (const c of req) chunks.push(c);
        await fsp.writeFile(target, Buffer.concat(chunks));
        res.end('stored');
      } else {
        res.end(await fsp.readFile(target));
      }
    } catch (error) {
      res.statusCode = 500;
      res.end(String(error));
    }
  });
  server.on('connection', () => counts.connections++);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function request(port, agent, method, name, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, agent, method, path: `/${name}` }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks)}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function httpClient(port, id) {
  // Half the clients keep connections alive, half open and close one per request.
  const agent = id % 2 === 0 ? new http.Agent({ keepAlive: true, maxSockets: 2 }) : false;
  let i = 0;
  while (!stopping) {
    const name = `${id}-${i % 3}`;
    try {
      const body = payload(1 + ((i * 104729) % 200_000));
      await request(port, agent, 'POST', name, body);
      const got = await request(port, agent, 'GET', name);
      if (!got.equals(body)) throw new Error(`GET /${name}: wrong bytes`);
      counts.httpRequests += 2;
    } catch (error) {
      fail(`http client ${id}`, error);
    }
    i++;
  }
  if (agent) agent.destroy();
}

// ---- sampling ----------------------------------------------------------------------------------
const fdCount = () => fs.readdirSync('/proc/self/fd').length;
const samples = [];
const COLUMNS = ['t', 'rssMiB', 'fds', 'fsOps', 'httpRequests', 'connections', 'errors', 'ringInFlight', 'ringCompletions', 'enters'];

function sample(t0) {
  const s = stats();
  samples.push({
    t: Math.round((performance.now() - t0) / 100) / 10,
    rssMiB: Math.round(process.memoryUsage.rss() / 1048576 * 10) / 10,
    fds: fdCount(),
    ...counts,
    ringInFlight: s.inFlight,
    ringCompletions: s.completions,
    enters: s.enters,
  });
}

// Least-squares slope per minute of `key` over the samples after the first quarter (warm-up).
function slopePerMinute(key) {
  const xs = samples.slice(Math.floor(samples.length / 4));
  if (xs.length < 2) return 0;
  const mx = xs.reduce((a, s) => a + s.t, 0) / xs.length;
  const my = xs.reduce((a, s) => a + s[key], 0) / xs.length;
  let num = 0;
  let den = 0;
  for (const s of xs) {
    num += (s.t - mx) * (s[key] - my);
    den += (s.t - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}

const server = await startServer();
const { port } = server.address();
const t0 = performance.now();
const fdsAtStart = fdCount();
sample(t0);
const sampler = setInterval(() => sample(t0), 1000);
const loops = [
  ...Array.from({ length: FS_LOOPS }, (_, i) => fsLoop(i)),
  ...Array.from({ length: HTTP_CLIENTS }, (_, i) => httpClient(port, i)),
];
setTimeout(() => { stopping = true; }, SECONDS * 1000);
await Promise.all(loops);
clearInterval(sampler);
server.closeAllConnections();
await new Promise((resolve) => server.close(resolve));
await new Promise((resolve) => setImmediate(resolve));
sample(t0);
fs.rmSync(dir, { recursive: true, force: true });

const csv = [COLUMNS.join(','), ...samples.map((s) => COLUMNS.map((c) => s[c]).join(','))].join('\n');
if (opts.csv) fs.writeFileSync(opts.csv, `${csv}\n`);
else console.log(csv);
const last = samples.at(-1);
const summary = {
  seconds: SECONDS,
  // Whether node:fs/promises is the shim's here (it is under --require uring-shim/register).
  registered: Boolean(fsp[Symbol.for('uring-shim.registered')]),
  backend: stats().backend,
  fsOps: counts.fsOps,
  httpRequests: counts.httpRequests,
  connections: counts.connections,
  errors: counts.errors,
  ringCompletions: last.ringCompletions,
  rssMiB: { first: samples[0].rssMiB, max: Math.max(...samples.map((s) => s.rssMiB)), last: last.rssMiB, slopePerMinute: Math.round(slopePerMinute('rssMiB') * 100) / 100 },
  fds: { start: fdsAtStart, max: Math.max(...samples.map((s) => s.fds)), end: last.fds, slopePerMinute: Math.round(slopePerMinute('fds') * 100) / 100 },
  firstErrors,
};
console.log(`# rss slope ${summary.rssMiB.slopePerMinute} MiB/min, fd slope ${summary.fds.slopePerMinute}/min, ${counts.errors} errors`);
console.log(JSON.stringify(summary));
process.exitCode = counts.errors > 0 ? 1 : 0;
