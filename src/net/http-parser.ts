// http's server has its parser read a StreamBase socket's handle straight
// (`parser.consume(handle)`): Node's native parser runs each read as the stream makes it and then
// calls back `parser[kOnExecute]`, with no 'data' event, Buffer or Readable buffering in
// between; `unconsume` (an upgrade, a 'data' listener added, the parser freed) gives the bytes
// back to the socket. A ring handle is read the same way: its chunks go to `consumeChunk`.
import { runTaskQueue, taskQueueRunnable } from '../ring';
import { RingStream, type StreamConsumer } from './stream-handle';

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

interface HttpParser extends StreamConsumer {
  resume(): void;
  [kRingConsumed]?: RingStream;
  [kCurrentChunk]?: Uint8Array;
  [kExecuting]?: boolean;
  [index: number]: unknown;
}

interface HttpParserClass {
  kOnHeaders: number;
  kOnBody: number;
  kOnExecute: number;
  prototype: Record<string | symbol, unknown>;
}

const installed = Symbol.for('uring-shim.net.installed');
const kRingConsumed = Symbol('uring-shim.http.ringConsumed');
const kCurrentChunk = Symbol('uring-shim.http.currentChunk');
const kExecuting = Symbol('uring-shim.http.executing');
const kRunsTaskQueue = Symbol('uring-shim.http.runsTaskQueue');

// Node's parser reads with no callback scope around it, so the callbacks it makes through
// MakeCallback (a body chunk, headers flushed early, kOnExecute) are outermost: the task queue
// (nextTicks, then microtasks) runs after each, before the parser goes on -- a request's
// resume() has read by the time its 'data' comes. A ring chunk reaches the parser inside a
// completion's callback scope, so the queue is run here at those points (without
// a runnable queue, once after the chunk, as the completion's scope closes).
function runTaskQueueAfter(parser: HttpParser, index: number): void {
  const callback = parser[index] as (AnyFn & { [kRunsTaskQueue]?: true }) | undefined;
  if (typeof callback !== 'function' || callback[kRunsTaskQueue]) return;
  const wrapped = function (this: HttpParser, ...args: unknown[]): unknown {
    const result = callback.apply(this, args);
    if (this[kExecuting]) runTaskQueue();
    return result;
  };
  (wrapped as typeof callback)[kRunsTaskQueue] = true;
  parser[index] = wrapped;
}

export function installParserConsume(): void {
  const HTTPParser = (require('_http_common') as { HTTPParser: HttpParserClass }).HTTPParser;
  const parser = HTTPParser.prototype;
  if (Object.prototype.hasOwnProperty.call(parser, installed)) return;
  Object.defineProperty(parser, installed, { value: true });
  const { kOnHeaders, kOnBody, kOnExecute } = HTTPParser;
  // (execute as it was: Node's native reads do not go through the prototype's method either.)
  const { consume, unconsume, getCurrentBuffer, execute } = parser as Record<string, AnyFn>;
  parser.consume = function (this: HttpParser, handle: unknown): unknown {
    if (!(handle instanceof RingStream)) return consume.call(this, handle);
    if (taskQueueRunnable) {
      runTaskQueueAfter(this, kOnHeaders);
      runTaskQueueAfter(this, kOnBody);
    }
    this[kRingConsumed] = handle;
    handle.consumer = this;
    return undefined;
  };
  parser.unconsume = function (this: HttpParser): unknown {
    const handle = this[kRingConsumed];
    if (handle === undefined) return unconsume.call(this);
    this[kRingConsumed] = undefined;
    if (handle.consumer === this) handle.consumer = null;
    return undefined;
  };
  // An upgrade's head bytes come from here, while kOnExecute runs.
  parser.getCurrentBuffer = function (this: HttpParser): unknown {
    const chunk = this[kCurrentChunk];
    return chunk === undefined ? getCurrentBuffer.call(this) : Buffer.from(chunk);
  };
  // Node's parser runs a whole read at once, and http pauses it (a flood of pipelined requests)
  // only after that: the rest of a read the ring split into chunks runs unpaused too.
  parser.consumeChunk = function (this: HttpParser, chunk: Uint8Array, restOfRead: boolean): void {
    if (restOfRead) this.resume();
    this[kExecuting] = true;
    let ret: unknown;
    try {
      ret = execute.call(this, chunk);
    } finally {
      this[kExecuting] = false;
    }
    const onExecute = this[kOnExecute];
    if (typeof onExecute !== 'function') return;
    this[kCurrentChunk] = chunk;
    try {
      onExecute(ret);
    } finally {
      this[kCurrentChunk] = undefined;
    }
    if (taskQueueRunnable) runTaskQueue();
  };
}
