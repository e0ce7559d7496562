// AbortSignal handling in readFile / writeFile / appendFile (paths and FileHandles).
import t from 'tap';
import fs from 'node:fs';
import { getEventListeners } from 'node:events';
import { twins, capture, pattern, fdCount } from '../helpers/twin.mjs';

const MiB = 1024 * 1024;
const BIG = pattern(12 * MiB + 5, 1234);
const layout = (d) => {
  fs.writeFileSync(`${d}/big.bin`, BIG);
  fs.writeFileSync(`${d}/small.txt`, 'small');
  fs.mkdirSync(`${d}/dir`);
};

const isAbortError = (e) => e && e.name === 'AbortError' && e.code === 'ABORT_ERR';

// Warm up (lazily created rings, eventfds, thread pools) so fd counts are stable.
async function warm(fsp, d) {
  await fsp.readFile(`${d}/small.txt`);
  await fsp.writeFile(`${d}/warm`, 'w');
  await (await fsp.open(`${d}/small.txt`)).close();
}

const reasons = {
  'default reason': () => { const ac = new AbortController(); ac.abort(); return ac.signal; },
  'string reason': () => { const ac = new AbortController(); ac.abort('stop it'); return ac.signal; },
  'Error reason': () => { const ac = new AbortController(); ac.abort(new RangeError('custom')); return ac.signal; },
  'undefined reason via AbortSignal.abort()': () => AbortSignal.abort(),
  'object reason': () => AbortSignal.abort({ why: 1 }),
};

t.test('already-aborted signal', async (t) => {
  const tw = twins(t, layout);
  for (const [rlabel, mk] of Object.entries(reasons)) {
    const ops = {
      'readFile': (fsp, d, signal) => fsp.readFile(`${d}/big.bin`, { signal }),
      'readFile utf8': (fsp, d, signal) => fsp.readFile(`${d}/small.txt`, { signal, encoding: 'utf8' }),
      'readFile of a missing file (abort wins)': (fsp, d, signal) => fsp.readFile(`${d}/missing`, { signal }),
      'readFile of a directory (abort wins)': (fsp, d, signal) => fsp.readFile(`${d}/dir`, { signal }),
      'writeFile (file is not created)': (fsp, d, signal) => fsp.writeFile(`${d}/w-new`, 'data', { signal }),
      'writeFile over an existing file (not truncated)': (fsp, d, signal) => fsp.writeFile(`${d}/small.txt`, 'data', { signal }),
      'writeFile iterable': (fsp, d, signal) => fsp.writeFile(`${d}/w-iter`, ['a', 'b'], { signal }),
      'appendFile': (fsp, d, signal) => fsp.appendFile(`${d}/small.txt`, 'more', { signal }),
      'fh.readFile': async (fsp, d, signal) => {
        const fh = await fsp.open(`${d}/small.txt`);
        try { return await capture(() => fh.readFile({ signal })); } finally { await fh.close(); }
      },
      'fh.writeFile': async (fsp, d, signal) => {
        const fh = await fsp.open(`${d}/fhw`, 'w');
        try { return await capture(() => fh.writeFile('x', { signal })); } finally { await fh.close(); }
      },
    };
    for (const [label, op] of Object.entries(ops)) {
      await tw.same(t, `${label}: ${rlabel}`, async (fsp, d) => {
        await warm(fsp, d);
        const signal = mk();
        const before = fdCount();
        const r = await capture(() => op(fsp, d, signal));
        const err = r.error || (r.value && r.value.error);
        return {
          r,
          causeIsReason: err ? err.cause === signal.reason : null,
          leakedFds: fdCount() - before,
          listeners: getEventListeners(signal, 'abort').length,
        };
      }, (r) => r.value.leakedFds === 0 && (r.value.r.error?.code === 'ABORT_ERR' || r.value.r.value?.error?.code === 'ABORT_ERR'));
      tw.sameTree(t, `${label}: ${rlabel}: trees`);
    }
  }
});

t.test('signal aborted right after the call returned (before any I/O completed)', async (t) => {
  const tw = twins(t, layout);
  const cases = {
    'readFile big': (fsp, d, signal) => fsp.readFile(`${d}/big.bin`, { signal }),
    'readFile big latin1': (fsp, d, signal) => fsp.readFile(`${d}/big.bin`, { signal, encoding: 'latin1' }),
    'readFile small': (fsp, d, signal) => fsp.readFile(`${d}/small.txt`, { signal }),
    'readFile missing (open error wins: the abort is only checked after open)': (fsp, d, signal) => fsp.readFile(`${d}/missing`, { signal }),
    'writeFile big (file created empty, nothing written)': (fsp, d, signal) => fsp.writeFile(`${d}/w-big`, BIG, { signal }),
    'writeFile over existing (truncated, nothing written)': (fsp, d, signal) => fsp.writeFile(`${d}/small.txt`, BIG, { signal }),
    'appendFile big (nothing appended)': (fsp, d, signal) => fsp.appendFile(`${d}/small.txt`, BIG, { signal }),
    'writeFile async iterable': (fsp, d, signal) => fsp.writeFile(`${d}/w-iter`, (async function* () { yield 'a'; yield 'b'; })(), { signal }),
  };
  for (const [label, op] of Object.entries(cases)) {
    await tw.same(t, label, async (fsp, d) => {
      await warm(fsp, d);
      const ac = new AbortController();
      const before = fdCount();
      const p = capture(() => op(fsp, d, ac.signal));
      ac.abort();
      const r = await p;
      return { r, causeIsReason: r.error ? r.error.cause === ac.signal.reason : null, leakedFds: fdCount() - before };
    }, (r) => r.value.leakedFds === 0 && !!r.value.r.error);
    tw.sameTree(t, `${label}: trees`);
  }
  await tw.same(t, 'fh.readFile aborted after the call', async (fsp, d) => {
    const fh = await fsp.open(`${d}/big.bin`);
    const ac = new AbortController();
    const p = capture(() => fh.readFile({ signal: ac.signal }));
    ac.abort();
    const r = await p;
    const fdOpen = fh.fd >= 0;
    await fh.close();
    return { r, fdOpen };
  }, (r) => r.value.r.error.code === 'ABORT_ERR' && r.value.fdOpen === true);
});

t.test('fh.writeFile aborted after the call: AbortError, and only a prefix is written', async (t) => {
  const tw = twins(t, layout);
  await tw.same(t, 'fh.writeFile 12 MiB', async (fsp, d) => {
    const fh = await fsp.open(`${d}/fh-big`, 'w');
    const ac = new AbortController();
    const p = capture(() => fh.writeFile(BIG, { signal: ac.signal }));
    ac.abort();
    const r = await p;
    await fh.close();
    const bytes = fs.readFileSync(`${d}/fh-big`);
    fs.rmSync(`${d}/fh-big`); // how much got written before the abort was noticed may differ
    return { r, prefix: bytes.equals(BIG.subarray(0, bytes.length)), partial: bytes.length < BIG.length };
  }, (r) => r.value.r.error.code === 'ABORT_ERR' && r.value.prefix && r.value.partial);
});

// Aborts at arbitrary points: either outcome is fine, but a rejection must be Node's
// AbortError, a resolution must carry complete data, and nothing may leak.
t.test('signal aborted at an arbitrary point mid-flight', async (t) => {
  const tw = twins(t, layout);
  const timings = {
    microtask: (f) => queueMicrotask(f),
    'nextTick': (f) => process.nextTick(f),
    setImmediate: (f) => setImmediate(f),
    'setImmediate x3': (f) => setImmediate(() => setImmediate(() => setImmediate(f))),
    'setTimeout 0': (f) => setTimeout(f, 0),
    'setTimeout 2': (f) => setTimeout(f, 2),
    'setTimeout 10': (f) => setTimeout(f, 10),
  };
  for (const [when, schedule] of Object.entries(timings)) {
    for (const kind of ['readFile', 'readFile utf8', 'writeFile']) {
      const out = await tw.run(async (fsp, d) => {
        await warm(fsp, d);
        const ac = new AbortController();
        const before = fdCount();
        const p = kind === 'writeFile'
          ? capture(() => fsp.writeFile(`${d}/mid`, BIG, { signal: ac.signal }))
          : capture(() => fsp.readFile(`${d}/big.bin`, { signal: ac.signal, encoding: kind === 'readFile utf8' ? 'latin1' : undefined }));
        schedule(() => ac.abort());
        const r = await p;
        const leaked = fdCount() - before;
        let complete = null;
        if (r.outcome === 'resolve') {
          complete = kind === 'writeFile'
            ? fs.readFileSync(`${d}/mid`).equals(BIG)
            : Buffer.from(r.value, kind === 'readFile utf8' ? 'latin1' : undefined).equals(BIG);
        } else if (kind === 'writeFile' && fs.existsSync(`${d}/mid`)) {
          const bytes = fs.readFileSync(`${d}/mid`);
          complete = bytes.equals(BIG.subarray(0, bytes.length)) ? 'prefix' : 'garbage';
        }
        fs.rmSync(`${d}/mid`, { force: true });
        return {
          outcome: r.outcome,
          error: r.error ? JSON.stringify([r.error.constructor.name, r.error.name, r.error.code, r.error.message, r.error.cause === ac.signal.reason]) : null,
          complete,
          leaked,
        };
      });
      for (const name of ['node', 'shim']) {
        const v = out[name].value;
        t.ok(v, `${kind} aborted via ${when}: ${name} ran`);
        if (!v) continue;
        t.equal(v.leaked, 0, `${kind} aborted via ${when}: ${name} leaked no fds`);
        if (v.outcome === 'resolve') {
          t.equal(v.complete, true, `${kind} aborted via ${when}: ${name} resolved with complete data`);
        } else {
          t.equal(v.error, JSON.stringify(['AbortError', 'AbortError', 'ABORT_ERR', 'The operation was aborted', true]),
            `${kind} aborted via ${when}: ${name} rejected with Node's AbortError`);
          if (kind === 'writeFile') t.not(v.complete, 'garbage', `${kind} aborted via ${when}: ${name} wrote only a prefix`);
        }
      }
    }
  }
});

t.test('signals are not retained: no listeners left behind, reusable signal', async (t) => {
  const tw = twins(t, layout);
  await tw.same(t, '50 operations sharing one live signal', async (fsp, d) => {
    const ac = new AbortController();
    const warnings = [];
    const onWarning = (w) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      await Promise.all(Array.from({ length: 25 }, () => fsp.readFile(`${d}/small.txt`, { signal: ac.signal })));
      await Promise.all(Array.from({ length: 25 }, (_, i) => fsp.writeFile(`${d}/s${i}`, 'x', { signal: ac.signal })));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    return { listeners: getEventListeners(ac.signal, 'abort').length, warnings };
  }, (r) => r.value.listeners === 0);
  await tw.same(t, 'abort after completion changes nothing', async (fsp, d) => {
    const ac = new AbortController();
    const r = await capture(() => fsp.readFile(`${d}/small.txt`, { signal: ac.signal, encoding: 'utf8' }));
    ac.abort();
    await new Promise((resolve) => setImmediate(resolve));
    return r;
  }, (r) => r.value.value === 'small');
});
