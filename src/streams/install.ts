// Puts the ring-backed stream classes into `node:fs` in place. Node's fs.createReadStream and
// fs.createWriteStream construct whatever fs.ReadStream / fs.WriteStream hold (their setters
// exist for exactly this), so they, `process.stdin` on a file, and code that subclasses
// fs.ReadStream all get ring-backed streams; Node's classes stay their prototypes. A class some
// earlier preload put there instead of Node's is left alone.
import fs = require('node:fs');
import * as ring from '../ring';
import { NodeReadStream, NodeWriteStream, ReadStream, WriteStream } from './streams';

export function installStreams(): void {
  if (!ring.available) return;
  const target = fs as unknown as Record<string, unknown>;
  if (target.ReadStream === NodeReadStream) target.ReadStream = target.FileReadStream = ReadStream;
  if (target.WriteStream === NodeWriteStream) target.WriteStream = target.FileWriteStream = WriteStream;
}
