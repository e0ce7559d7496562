// Differential helper for fs streams: the same scenario runs once with Node's `node:fs` and once
// with `uring-shim/fs`, each in its own twin directory holding the same files, and yields a log
// that t.strictSame can compare: every event the stream emits, in order, with a comparable
// payload (chunk lengths and contents, errors by code/syscall/message), plus what the scenario
// itself records.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import * as shimFs from 'uring-shim/fs';
import { errorView } from './twin.mjs';

export const impls = { node: fs, shim: shimFs.default ?? shimFs };

const QUIET = new Set(['newListener', 'removeListener']);

export function sha256(bytes) {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

// A deterministic pseudo-random payload (incompressible, so short reads would show).
export function payload(size, seed = 1) {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

// Makes twin directories with `files` ({ name: Buffer|string }) and returns their paths.
export function twinDirs(t, files) {
  const dirs = {};
  for (const name of Object.keys(impls)) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `uring-streams-${name}-`));
    for (const [file, data] of Object.entries(files)) {
      if (data === null) fs.mkdirSync(path.join(dir, file));
      else fs.writeFileSync(path.join(dir, file), data);
    }
    dirs[name] = dir;
  }
  t.teardown(() => { for (const dir of Object.values(dirs)) fs.rmSync(dir, { recursive: true, force: true }); });
  return dirs;
}

// Records every event `stream` emits (string names), in order, into `log`.
export function recordEvents(stream, log, dir) {
  const emit = stream.emit;
  stream.emit = function (name, ...args) {
    if (typeof name === 'string' && !QUIET.has(name)) log.push([name, ...args.map((a) => view(a, dir, name))]);
    return Reflect.apply(emit, this, [name, ...args]);
  };
  return stream;
}

function view(value, dir, event) {
  if (value instanceof Error) return errorView(value, dir);
  if (Buffer.isBuffer(value)) return { bytes: value.length, sha256: sha256(value) };
  if (typeof value === 'string') return value.length > 64 ? { string: value.length, sha256: sha256(value) } : value;
  // 'open' carries a descriptor number, which differs between the twins.
  if (event === 'open' && typeof value === 'number') return 'fd';
  return value;
}

// Runs scenario(fs, dir, log) for both implementations and compares the logs.
export async function same(t, name, dirs, scenario) {
  const logs = {};
  for (const impl of Object.keys(impls)) {
    const log = [];
    try {
      await scenario(impls[impl], dirs[impl], log);
    } catch (error) {
      log.push(['scenario threw', errorView(error, dirs[impl])]);
    }
    logs[impl] = log;
  }
  t.strictSame(logs.shim, logs.node, name);
  return logs.node;
}

// Resolves once `stream` has emitted every one of `events` ('close' by default; 'end' or
// 'error' for a stream that never closes), never rejects.
export function settled(stream, events = ['close']) {
  return Promise.all(events.map((event) => new Promise((resolve) => stream.once(event, resolve))))
    .then(() => new Promise((resolve) => setImmediate(resolve)));
}
