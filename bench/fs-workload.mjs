#!/usr/bin/env node
// One workload, one process, one JSON line on stdout:
//   node bench/fs-workload.mjs <F1|F2|F3|F4|F6|F5|F4s> <node|shim> [--count N] [--passes P] [--max-seconds S] [--markers]
// impl "node" imports node:fs/promises, "shim" imports uring-shim/fs/promises (this package,
// by self-reference: run `npm run build:ts` first). The stream cases F5 and F4s use node:fs on
// both sides: run.mjs starts their shim side with `--require uring-shim/register`. Fixtures are created by ensureFixtures()
// if missing (untimed). Each case does one untimed warm-up pass first, so page cache, dentry
// cache, JIT and the shim's ring are warm for both impls; then the timed passes.
//   --passes P       up to P timed passes (default 3; no new pass once 1 s of timed work is done,
//                    so long cases take one); the JSON reports the median pass, and the ops/s of
//                    every pass in `passes`.
//   --max-seconds S  caps all timed passes together: the pool stops handing out work and a
//                    capped pass reports the ops it did (`capped: true`); ops/s stays valid.
//   --markers        brackets the timed passes with statSync() of marker paths (lib.straceChild).
import { statSync, createReadStream, createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import {
  CASES, IN_FLIGHT, FILE_SIZE, BIG_SIZE, READ_SIZE, WRITE_SIZE, CACHE_DIR, BIG_FILE, MARK_BEGIN, MARK_END,
  fixtureFile, maxCount, ensureFixtures, pool, callbackPool, parseArgs,
} from './lib.mjs';

const args = parseArgs(process.argv.slice(2), ['markers']);
const [name, impl] = args._;
if (!CASES[name] || !['node', 'shim'].includes(impl)) {
  console.error(`usage: fs-workload.mjs <${Object.keys(CASES).join('|')}> <node|shim> [--count N] [--max-seconds S]`);
  process.exit(2);
}
const count = Number(args.count ?? CASES[name].count);
if (!(count > 0) || count > maxCount(name)) throw new Error(`--count must be 1..${maxCount(name)} for ${name}`);
const maxSeconds = Number(args['max-seconds'] ?? 20);
const passes = Number(args.passes ?? 3);

ensureFixtures((m) => console.error(m));
const fsp = await import(impl === 'node' ? 'node:fs/promises' : 'uring-shim/fs/promises');
// The callback API (F1cb, F3cb): node:fs or uring-shim/fs.
const fs = (await import(impl === 'node' ? 'node:fs' : 'uring-shim/fs')).default;
const shim = impl === 'shim' ? await import('uring-shim') : null;
const stats = () => { try { return shim?.stats?.() ?? null; } catch (e) { return { error: String(e) }; } };

// Deterministic PRNG (xorshift32) so both impls read the same positions in the same order.
function positions(n, seed) {
  const out = new Float64Array(n);
  const blocks = BIG_SIZE / READ_SIZE;
  for (let i = 0, x = seed; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = ((x >>> 0) % blocks) * READ_SIZE;
  }
  return out;
}

// Each case: { setup(), warm(), run(deadline) -> ops, teardown(), bytesPerOp? }.
const cases = {
  F1: () => ({
    run: (deadline) => pool(count, IN_FLIGHT, (i) => fsp.stat(fixtureFile(i)), deadline),
  }),
  F2: () => ({
    bytesPerOp: FILE_SIZE,
    run: (deadline) => pool(count, IN_FLIGHT, (i) => fsp.readFile(fixtureFile(i)), deadline),
  }),
  F3: () => {
    let fh;
    const bufs = Array.from({ length: IN_FLIGHT }, () => Buffer.alloc(READ_SIZE));
    const pos = positions(count, 0x9e3779b9);
    const random = (n, deadline) => pool(n, IN_FLIGHT, (i, w) => fh.read(bufs[w], 0, READ_SIZE, pos[i]), deadline);
    return {
      bytesPerOp: READ_SIZE,
      async setup() { fh = await fsp.open(BIG_FILE, 'r'); },
      async warm() {
        // Whole file into the page cache (1 MiB reads), then a short random pass for the JIT.
        const big = Buffer.alloc(1 << 20);
        for (let off = 0; off < BIG_SIZE; off += big.length) await fh.read(big, 0, big.length, off);
        await random(Math.ceil(count / 10));
      },
      run: (deadline) => random(count, deadline),
      teardown: () => fh?.close(),
    };
  },
  F1cb: () => ({
    run: (deadline) => callbackPool(count, IN_FLIGHT, (i, w, next) => fs.stat(fixtureFile(i), (err) => {
      if (err) throw err;
      next();
    }), deadline),
  }),
  F3cb: () => {
    let fd;
    const bufs = Array.from({ length: IN_FLIGHT }, () => Buffer.alloc(READ_SIZE));
    const pos = positions(count, 0x9e3779b9);
    const random = (n, deadline) => callbackPool(n, IN_FLIGHT, (i, w, next) => fs.read(fd, bufs[w], 0, READ_SIZE, pos[i], (err) => {
      if (err) throw err;
      next();
    }), deadline);
    return {
      bytesPerOp: READ_SIZE,
      setup() { fd = fs.openSync(BIG_FILE, 'r'); },
      async warm() {
        const big = Buffer.alloc(1 << 20);
        for (let off = 0; off < BIG_SIZE; off += big.length) fs.readSync(fd, big, 0, big.length, off);
        await random(Math.ceil(count / 10));
      },
      run: (deadline) => random(count, deadline),
      teardown() { fs.closeSync(fd); },
    };
  },
  F4: () => {
    const file = `${CACHE_DIR}/f4-${process.pid}.tmp`;
    const buf = Buffer.alloc(WRITE_SIZE, 0x5a);
    let fh;
    // Explicit positions (pwrite) from 0, one write at a time, awaiting each.
    const write = async (deadline) => {
      let i = 0;
      for (; i < count && performance.now() < deadline; i++) await fh.write(buf, 0, WRITE_SIZE, i * WRITE_SIZE);
      return i;
    };
    return {
      bytesPerOp: WRITE_SIZE,
      async setup() { fh = await fsp.open(file, 'w'); },
      // The warm pass writes the whole range once, so timed passes overwrite pages already in the
      // page cache: they measure the write path, not page allocation (which in a VM can mean
      // host-side faults on freshly reported free memory: very noisy).
      run: write,
      // Deleted before writeback gets to it: no disk traffic left behind for the next process.
      async teardown() { await fh?.close(); await fsp.rm(file, { force: true }); },
    };
  },
  F6: () => ({
    run: (deadline) => pool(count, IN_FLIGHT, async (i) => (await fsp.open(fixtureFile(i), 'r')).close(), deadline),
  }),
  // The first `count` 64 KiB chunks of the big file through fs.createReadStream (default
  // highWaterMark, so 64 KiB chunks) into a Writable that drops them.
  F5: () => {
    const read = (n, deadline) => new Promise((resolve, reject) => {
      let chunks = 0;
      const source = createReadStream(BIG_FILE, { end: n * WRITE_SIZE - 1 });
      const sink = new Writable({
        write(chunk, encoding, callback) {
          chunks++;
          if (performance.now() > deadline) source.destroy();
          callback();
        },
      });
      source.on('error', reject).on('close', () => resolve(chunks));
      source.pipe(sink);
    });
    return {
      bytesPerOp: WRITE_SIZE,
      // The whole file once: page cache and JIT warm for both impls.
      warm: () => read(BIG_SIZE / WRITE_SIZE, Infinity),
      run: (deadline) => read(count, deadline),
    };
  },
  // `count` 64 KiB writes through fs.createWriteStream, waiting for 'drain' whenever write()
  // says so (every time: 64 KiB is over the default 16 KiB highWaterMark). Like F4, the timed
  // passes overwrite (flags 'r+') pages the warm pass put in the page cache.
  F4s: () => {
    const file = `${CACHE_DIR}/f4s-${process.pid}.tmp`;
    const buf = Buffer.alloc(WRITE_SIZE, 0x5a);
    const write = (flags, deadline) => new Promise((resolve, reject) => {
      const stream = createWriteStream(file, { flags });
      let i = 0;
      const more = () => {
        while (i < count && performance.now() < deadline) {
          i++;
          if (!stream.write(buf)) return void stream.once('drain', more);
        }
        stream.end();
      };
      stream.on('error', reject).on('close', () => resolve(i));
      more();
    });
    return {
      bytesPerOp: WRITE_SIZE,
      warm: () => write('w', Infinity),
      run: (deadline) => write('r+', deadline),
      async teardown() { await fsp.rm(file, { force: true }); },
    };
  },
};

const c = cases[name]();
let out;
try {
  await c.setup?.();
  await (c.warm ?? c.run)(Infinity); // F1/F2/F6: the warm pass is a full untimed pass
  const before = stats();
  if (args.markers) try { statSync(MARK_BEGIN); } catch {}
  const runs = [];
  const end = performance.now() + maxSeconds * 1000;
  let timed = 0;
  for (let p = 0; p < passes && (p === 0 || (timed < 1 && performance.now() < end)); p++) {
    const t0 = performance.now();
    const ops = await c.run(end);
    runs.push({ ops, seconds: (performance.now() - t0) / 1000 });
    timed += runs.at(-1).seconds;
  }
  if (args.markers) try { statSync(MARK_END); } catch {}
  const after = stats();
  // The median pass: a scheduler hiccup on a shared machine spoils one pass, not the result.
  const { ops, seconds } = runs.slice().sort((a, b) => b.ops / b.seconds - a.ops / a.seconds)[runs.length >> 1];
  out = { case: name, impl, ops, seconds, opsPerSec: ops / seconds };
  if (c.bytesPerOp) out.bytesPerSec = (ops * c.bytesPerOp) / seconds;
  if (ops < count) out.capped = true;
  out.passes = runs.map((r) => Math.round(r.ops / r.seconds));
  out.totalOps = runs.reduce((a, r) => a + r.ops, 0);
  if (after && Object.keys(after).length) out.stats = diffStats(before, after); // covers totalOps
  out.pid = process.pid;
} finally {
  await c.teardown?.();
}
console.log(JSON.stringify(out));

// Counters become "during the timed passes" (after - before); gauges and strings are kept as is.
function diffStats(a, b) {
  const gauges = new Set(['largestBatch', 'inFlight']);
  const d = (x, y) => Object.fromEntries(Object.entries(y).map(([k, v]) => [k,
    typeof v === 'number' && !gauges.has(k) ? v - (Number(x?.[k]) || 0)
      : v && typeof v === 'object' && !Array.isArray(v) ? d(x?.[k], v) : v]));
  return d(a, b);
}
