// The stream_base contract Node's net.js speaks with its handles: results of a read or a write
// dispatch travel through one shared Int32Array (`streamBaseState`) rather than arguments. A
// handle implemented in JS must write the same slots, so it reaches the same array through the
// documented, allow-listed `process.binding('stream_wrap')` -- with the one-time
// --pending-deprecation warning about process.binding silenced, since the user never called it.

interface StreamWrapBinding {
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kBytesWritten: number;
  kLastWriteWasAsync: number;
  kLastWriteErr?: number;   // Node 24.22+
  WriteWrap: new () => { oncomplete: unknown; writeStatus: number | null };
}

export function processBinding<T>(name: 'stream_wrap' | 'tcp_wrap' | 'pipe_wrap'): T {
  const binding = (process as unknown as { binding(name: string): T }).binding;
  // Under --no-deprecation the flag is already set, and read-only.
  if (process.noDeprecation) return binding(name);
  const saved = process.noDeprecation;
  process.noDeprecation = true;
  try {
    return binding(name);
  } finally {
    process.noDeprecation = saved;
  }
}

const streamWrap = processBinding<StreamWrapBinding>('stream_wrap');
const state = streamWrap.streamBaseState;
const { kReadBytesOrError, kArrayBufferOffset, kBytesWritten, kLastWriteWasAsync, kLastWriteErr } = streamWrap;

export const UV_EOF = -4095;

// Sets what onStreamRead reads for a chunk (nread > 0, at offset 0 of `arrayBuffer`), an end
// of stream (UV_EOF) or an error (negative errno).
export function setReadResult(nread: number): void {
  state[kReadBytesOrError] = nread;
  state[kArrayBufferOffset] = 0;
}

// A write done at once (net.js calls back synchronously) or left to complete later through
// req.oncomplete.
export function setWriteDispatched(bytes: number, async: boolean): void {
  state[kBytesWritten] = bytes;
  state[kLastWriteWasAsync] = async ? 1 : 0;
}

// Node 24.22 made write requests lazy: net.js passes `null` for the request, and the handle
// returns a number when the write (or its failure) is done at once, or the WriteWrap it made for
// a write that completes later -- with no error recorded and no status yet, so that net.js
// attaches its oncomplete and waits.
export function lazyWriteRequest<T>(): T {
  const req = new streamWrap.WriteWrap();
  state[kLastWriteErr!] = 0;
  return req as T;
}

// Where libuv's behaviour changed between the versions Node 20, 22 and 24 bundle, the ring
// handles follow the running Node's libuv.
const [uvMajor, uvMinor] = process.versions.uv.split('.').map(Number);
export function libuvAtLeast(minor: number): boolean {
  return uvMajor > 1 || (uvMajor === 1 && uvMinor >= minor);
}
