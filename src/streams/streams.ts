// fs.ReadStream / fs.WriteStream on the ring. These are subclasses of Node's own classes (so
// `instanceof fs.ReadStream` holds either way, and events, errors, backpressure and destroy are
// Node's own code): the only difference is the fs-operations object Node's constructor receives
// (`options.fs`), a RingFs that sends each open/read/write/close to the ring unless the function
// it would replace is a user's. A FileHandle `fd` is left to Node, which then works through the
// handle's methods: a shim FileHandle's are on the ring already. Like Node's, both constructors
// may be called without `new`.
import fs = require('node:fs');
import { Readable, Writable } from 'node:stream';
import { nodeFs } from '../fs/originals';
import * as ring from '../ring';
import { RingFs, type StreamKind } from './ring-fs';

type StreamClass = new (path: unknown, options?: unknown) => any;

// Node's options, read the way Node's getOptions/copyObject read them (a string is an encoding;
// inherited enumerable fields count), plus our fs-operations object. Anything Node would reject
// is passed through untouched so that Node throws its own error.
function withRingFs(options: unknown, kind: StreamKind): unknown {
  let copy: Record<string, unknown>;
  if (options === null || options === undefined || typeof options === 'function') copy = {};
  else if (typeof options === 'string') copy = { encoding: options };
  else if (typeof options === 'object') {
    copy = {};
    // eslint-disable-next-line guard-for-in -- Node's copyObject copies inherited fields too
    for (const key in options) copy[key] = (options as Record<string, unknown>)[key];
  } else return options;
  // A FileHandle (or anything else that is not a number) as `fd`: Node's own handling.
  if (copy.fd !== undefined && copy.fd !== null && typeof copy.fd !== 'number') return options;
  copy.fs = new RingFs((copy.fs || fs) as Record<string, unknown>, kind);
  return copy;
}

function ringStream(Base: StreamClass, kind: StreamKind): StreamClass {
  // A plain function, not a class: Node's stream constructors work without `new` too.
  const Stream = function (this: any, path: unknown, options?: unknown): any {
    if (!(this instanceof Stream)) return new (Stream as unknown as StreamClass)(path, options);
    Reflect.apply(Base, this, [path, withRingFs(options, kind)]);
  };
  Object.defineProperty(Stream, 'name', { value: kind });
  Object.setPrototypeOf(Stream.prototype, Base.prototype);
  Object.setPrototypeOf(Stream, Base);
  return Stream as unknown as StreamClass;
}

// Node's own class: the one right above Readable/Writable in the chain of whatever fs.ReadStream
// held when the shim loaded (a preload may have put a subclass there already).
function nodeClass(found: unknown, Base: Function): StreamClass {
  let candidate = found;
  while (typeof candidate === 'function' && Object.getPrototypeOf(candidate.prototype) !== Base.prototype) {
    candidate = Object.getPrototypeOf(candidate);
  }
  return (typeof candidate === 'function' ? candidate : found) as StreamClass;
}

export const NodeReadStream = nodeClass(nodeFs.ReadStream, Readable);
export const NodeWriteStream = nodeClass(nodeFs.WriteStream, Writable);
export const ReadStream: StreamClass = ring.available ? ringStream(NodeReadStream, 'ReadStream') : NodeReadStream;
export const WriteStream: StreamClass = ring.available ? ringStream(NodeWriteStream, 'WriteStream') : NodeWriteStream;

export function createReadStream(path: unknown, options?: unknown): fs.ReadStream {
  return new ReadStream(path, options);
}

export function createWriteStream(path: unknown, options?: unknown): fs.WriteStream {
  return new WriteStream(path, options);
}
