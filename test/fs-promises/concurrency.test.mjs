// Many operations in flight at once: results must come back complete, correct and in
// Promise.all order, and the files must end up byte-identical to Node's.
import t from 'tap';
import fs from 'node:fs';
import { twins, capture, digest, pattern } from '../helpers/twin.mjs';

const NFILES = 200;
const content = (i) => `file ${i}\n${'#'.repeat(i * 37 % 5000)}${String.fromCharCode(0x41 + (i % 26))}`;

const layout = (d) => {
  fs.mkdirSync(`${d}/many`);
  for (let i = 0; i < NFILES; i++) fs.writeFileSync(`${d}/many/f${i}`, content(i));
};

t.test('2000 concurrent stats and readFiles over 200 files', async (t) => {
  const tw = twins(t, layout);
  const out = await tw.same(t, 'Promise.all of 2000 mixed stat/lstat/readFile', (fsp, d) => {
    const ops = [];
    for (let k = 0; k < 2000; k++) {
      const i = (k * 7) % NFILES;
      const p = `${d}/many/f${i}`;
      switch (k % 4) {
        case 0: ops.push(fsp.stat(p).then((s) => ['stat', i, s.size, s.isFile()])); break;
        case 1: ops.push(fsp.readFile(p).then((b) => ['buf', i, digest(b)])); break;
        case 2: ops.push(fsp.readFile(p, 'utf8').then((s) => ['str', i, s.length, s.slice(0, 12)])); break;
        default: ops.push(fsp.lstat(p, { bigint: true }).then((s) => ['lstat', i, s.size])); break;
      }
    }
    return Promise.all(ops);
  }, (r) => r.value.length === 2000);

  // Independently of Node: every slot holds the answer for its own file.
  const v = out.shim.value;
  let wrong = 0;
  for (let k = 0; k < 2000; k++) {
    const i = (k * 7) % NFILES;
    const c = content(i);
    const e = v[k];
    const ok = e[1] === i && (
      (e[0] === 'stat' && e[2] === Buffer.byteLength(c) && e[3] === true) ||
      (e[0] === 'buf' && e[2] === digest(Buffer.from(c))) ||
      (e[0] === 'str' && e[2] === c.length && e[3] === c.slice(0, 12)) ||
      (e[0] === 'lstat' && e[2] === BigInt(Buffer.byteLength(c))));
    if (!ok) wrong++;
  }
  t.equal(wrong, 0, 'every Promise.all slot matches its own file');
});

t.test('concurrent failures land in the right slots', async (t) => {
  const tw = twins(t, layout);
  await tw.same(t, 'allSettled over existing, missing, ENOTDIR and EISDIR', (fsp, d) => {
    const ops = [];
    for (let k = 0; k < 1000; k++) {
      const i = k % NFILES;
      switch (k % 5) {
        case 0: ops.push(fsp.stat(`${d}/many/f${i}`).then((s) => s.size)); break;
        case 1: ops.push(fsp.stat(`${d}/many/missing${i}`)); break;
        case 2: ops.push(fsp.readFile(`${d}/many/f${i}/x`)); break;
        case 3: ops.push(fsp.readFile(`${d}/many`)); break;
        default: ops.push(fsp.readFile(`${d}/many/f${i}`, 'latin1').then((s) => s.length)); break;
      }
    }
    return Promise.allSettled(ops);
  }, (r) => r.value[1].reason.code === 'ENOENT' && r.value[2].reason.code === 'ENOTDIR' && r.value[3].reason.code === 'EISDIR');
});

t.test('1000 concurrent positional writes to one handle', async (t) => {
  const tw = twins(t);
  const REC = 64;
  const N = 1000;
  const record = (i) => Buffer.from(`${String(i).padStart(6, '0')}:${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(2)}`.slice(0, REC - 1) + '\n');
  await tw.same(t, 'writes issued in scrambled order', async (fsp, d) => {
    const fh = await fsp.open(`${d}/pos.bin`, 'w+');
    const order = Array.from({ length: N }, (_, k) => (k * 389) % N); // a permutation
    const results = await Promise.all(order.map((i) => fh.write(record(i), 0, REC, i * REC).then((r) => [i, r.bytesWritten])));
    const size = (await fh.stat()).size;
    await fh.close();
    const bytes = fs.readFileSync(`${d}/pos.bin`);
    let misplaced = 0;
    for (let i = 0; i < N; i++) if (!bytes.subarray(i * REC, (i + 1) * REC).equals(record(i))) misplaced++;
    return { results, size, misplaced, file: digest(bytes) };
  }, (r) => r.value.misplaced === 0 && r.value.size === N * REC);

  await tw.same(t, 'string positional writes and writev, all at once', async (fsp, d) => {
    const fh = await fsp.open(`${d}/mixed.bin`, 'w+');
    const ops = [];
    for (let i = 0; i < N; i++) {
      if (i % 3 === 0) ops.push(fh.write(record(i).toString('latin1'), i * REC, 'latin1'));
      else if (i % 3 === 1) ops.push(fh.writev([record(i).subarray(0, 10), record(i).subarray(10)], i * REC));
      else ops.push(fh.write(record(i), { position: i * REC }));
    }
    const rs = await Promise.all(ops);
    await fh.close();
    return { written: rs.map((r) => r.bytesWritten), file: digest(fs.readFileSync(`${d}/mixed.bin`)) };
  }, 'ok');
});

t.test('1000 concurrent current-position (position null) writes to one handle', async (t) => {
  const tw = twins(t);
  const REC = 16;
  const N = 1000;
  await tw.same(t, 'every record lands exactly once, on a record boundary', async (fsp, d) => {
    const fh = await fsp.open(`${d}/seq.bin`, 'w');
    const rs = await Promise.all(Array.from({ length: N }, (_, i) =>
      fh.write(Buffer.from(`<${String(i).padStart(14, '0')}>`), 0, REC, null).then((r) => r.bytesWritten)));
    await fh.close();
    const bytes = fs.readFileSync(`${d}/seq.bin`);
    const seen = new Set();
    let torn = 0;
    for (let off = 0; off < bytes.length; off += REC) {
      const rec = bytes.toString('latin1', off, off + REC);
      if (!/^<\d{14}>$/.test(rec)) torn++;
      else seen.add(Number(rec.slice(1, 15)));
    }
    return { allWritten: rs.every((n) => n === REC), size: bytes.length, distinct: seen.size, torn };
  }, (r) => r.value.size === N * REC && r.value.distinct === N && r.value.torn === 0);

  await tw.same(t, "'a' handle: 1000 concurrent appends", async (fsp, d) => {
    const fh = await fsp.open(`${d}/app.bin`, 'a');
    await Promise.all(Array.from({ length: N }, (_, i) => fh.write(`[${String(i).padStart(12, '0')}]\n`)));
    await fh.close();
    const lines = fs.readFileSync(`${d}/app.bin`, 'latin1').split('\n').filter(Boolean);
    return { n: lines.length, distinct: new Set(lines).size, wellFormed: lines.every((l) => /^\[\d{12}\]$/.test(l)) };
  }, (r) => r.value.distinct === N && r.value.wellFormed);
});

t.test('1000 concurrent positional reads from one handle', async (t) => {
  const data = pattern(1000 * 97, 5);
  const tw = twins(t, (d) => fs.writeFileSync(`${d}/data.bin`, data));
  await tw.same(t, 'Promise.all order', async (fsp, d) => {
    const fh = await fsp.open(`${d}/data.bin`);
    const rs = await Promise.all(Array.from({ length: 1000 }, (_, k) => {
      const i = (k * 613) % 1000;
      return fh.read(Buffer.alloc(97), 0, 97, i * 97).then((r) => [i, r.bytesRead, r.buffer.equals(data.subarray(i * 97, (i + 1) * 97))]);
    }));
    await fh.close();
    return { bad: rs.filter(([, n, ok]) => n !== 97 || !ok).length, order: digest(Buffer.from(rs.map((r) => r[0]).join(','))) };
  }, (r) => r.value.bad === 0);
});

t.test('many handles and whole-file writes at once', async (t) => {
  const tw = twins(t, layout);
  await tw.same(t, '300 concurrent opens, distinct fds, all closed', async (fsp, d) => {
    const before = fs.readdirSync('/proc/self/fd').length;
    const fhs = await Promise.all(Array.from({ length: 300 }, (_, i) => fsp.open(`${d}/many/f${i % NFILES}`)));
    const distinct = new Set(fhs.map((fh) => fh.fd)).size;
    const heads = await Promise.all(fhs.map((fh) => fh.read(Buffer.alloc(8), 0, 8, 0).then((r) => r.buffer.toString('latin1', 0, r.bytesRead))));
    await Promise.all(fhs.map((fh) => fh.close()));
    return { distinct, heads, leaked: fs.readdirSync('/proc/self/fd').length - before };
  }, (r) => r.value.distinct === 300 && r.value.leaked === 0);

  await tw.same(t, '200 concurrent writeFiles then 200 concurrent readFiles', async (fsp, d) => {
    fs.mkdirSync(`${d}/out`);
    await Promise.all(Array.from({ length: NFILES }, (_, i) => fsp.writeFile(`${d}/out/o${i}`, content(NFILES - i))));
    const back = await Promise.all(Array.from({ length: NFILES }, (_, i) => fsp.readFile(`${d}/out/o${i}`, 'utf8')));
    return { wrong: back.filter((s, i) => s !== content(NFILES - i)).length, all: digest(Buffer.from(back.join('|'))) };
  }, (r) => r.value.wrong === 0);

  await tw.same(t, 'concurrent appendFile to one file', async (fsp, d) => {
    await Promise.all(Array.from({ length: 300 }, (_, i) => fsp.appendFile(`${d}/log`, `${String(i).padStart(5, '0')}\n`)));
    const lines = fs.readFileSync(`${d}/log`, 'utf8').split('\n').filter(Boolean);
    fs.rmSync(`${d}/log`); // line order legitimately varies; keep it out of the tree comparison
    return { n: lines.length, distinct: new Set(lines).size };
  }, (r) => r.value.n === 300 && r.value.distinct === 300);

  await tw.same(t, 'mkdir/rename/unlink storms', async (fsp, d) => {
    await Promise.all(Array.from({ length: 100 }, (_, i) => fsp.mkdir(`${d}/t/${i}/x`, { recursive: true })));
    const r1 = await Promise.all(Array.from({ length: 100 }, (_, i) => capture(() => fsp.writeFile(`${d}/t/${i}/x/f`, `${i}`))));
    const r2 = await Promise.all(Array.from({ length: 100 }, (_, i) => capture(() => fsp.rename(`${d}/t/${i}/x/f`, `${d}/t/${i}/g`))));
    const r3 = await Promise.all(Array.from({ length: 100 }, (_, i) => capture(() => fsp.unlink(`${d}/t/${i}/g`))));
    const r4 = await Promise.all(Array.from({ length: 100 }, (_, i) => capture(() => fsp.rmdir(`${d}/t/${i}`))));
    return { r1, r2, r3, r4 };
  }, 'ok');
  tw.sameTree(t);
});
