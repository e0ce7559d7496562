// What a stream socket handle on the ring shares, TCP or Unix (tcp-handle.ts, pipe-handle.ts):
// the contract Node's net.js speaks with its native stream handles -- listen, readStart/readStop
// with results through `onread` (stream_base), writeBuffer/writev/write*String with WriteWrap
// requests completed through `req.oncomplete`, shutdown, close, ref/unref. net.js keeps doing
// everything above the handle -- events and their order, errors, timeouts, half-close,
// backpressure -- exactly as it does over libuv.
import { AsyncResource } from 'node:async_hooks';
import * as ring from '../ring';
import { CQE_F_MORE } from '../ring';
import { lazyWriteRequest, libuvAtLeast, setReadResult, setWriteDispatched, UV_EOF } from './stream-base';

const ECANCELED = -125;
const ENOBUFS = -105;
export const EBADF = -9;
const ECONNRESET = -104;
const resetReadsAsEnd = !libuvAtLeast(52);
const IOV_MAX = 1024;
const LIBUV_READ_SIZE = 64 * 1024;  // what Node's allocator gives each libuv read of a stream
// Node's StreamBase::WriteString tries a write at once only for strings whose worst-case size
// fits its 16 KiB stack buffer; one that fails there is not counted in bytesWritten.
const STRING_TRY_WRITE_MAX = 16 * 1024;
const SHUT_RD = 0;
const SHUT_WR = 1;
export const UNIX = 0;  // the family of a Unix domain socket (pipe-handle.ts)
const LENT: readonly boolean[] = [];          // every view is the caller's
const OWNED: readonly boolean[] = [true];     // one view the shim made

export interface Request {
  oncomplete(status: number, ...rest: unknown[]): void;
}

// One entry of the in-order write queue: bytes still to send for `req`, or a shutdown.
interface Pending {
  req: Request;
  views: Uint8Array[] | null;   // null: shutdown
  left: number;
  reported: boolean;            // a write net.js was told is done (see enqueue): no oncomplete
  copies: CopyChunk | null;     // where its lent bytes were copied (reported writes)
}

// How many bytes a socket may have reported written while they still wait in the ring's send
// queue: one bounded batch, so that backpressure is back after at most that much.
const REPORTED_MAX = 64 * 1024;
// Lent bytes are copied to be reported, up to this much per write. The copy costs less than
// the system call it saves: N1 16 KiB, batched, spends 1.7 us less kernel time per message and
// 0.4 us more user time than sent at once. (Copied into fresh Buffers it cost 2 us more.)
const REPORTED_COPY_MAX = 16 * 1024;
const alreadyReported: Request = { oncomplete: noop };

// Shim-owned memory that reported writes' lent bytes are copied into: the current chunk is
// filled in turn, and a chunk is reused once no queued write and no send in flight uses it --
// never while the kernel may still read it. Reused, not allocated per write: a fresh
// ArrayBuffer costs 0.3 us at 64 B and 2 us at 16 KiB here (the page faults of new memory),
// copying into warm memory 0.4 us at 16 KiB.
const COPY_CHUNK_SIZE = 64 * 1024;
class CopyChunk {
  readonly buffer = Buffer.allocUnsafeSlow(COPY_CHUNK_SIZE).buffer;
  fill = 0;
  users = 0;  // queued writes with copies here, plus sends in flight that carry them
}
// Chunks kept for reuse: past this many, an unused chunk is left to the GC.
const SPARE_CHUNKS_MAX = 16;
const spareChunks: CopyChunk[] = [];
let copyChunk: CopyChunk | null = null;

// Replaces the lent views with copies, side by side in one chunk.
function copyLent(views: Uint8Array[], owned: readonly boolean[], lent: number): CopyChunk | null {
  if (lent === 0) return null;
  // (A chunk with bytes in it is in use: the last user gone, unuse empties it.)
  if (copyChunk === null || copyChunk.fill + lent > COPY_CHUNK_SIZE) copyChunk = spareChunks.pop() ?? new CopyChunk();
  const chunk = copyChunk;
  for (let i = 0; i < views.length; i++) {
    if (owned[i]) continue;
    const copy = new Uint8Array(chunk.buffer, chunk.fill, views[i].byteLength);
    copy.set(views[i]);
    chunk.fill += copy.byteLength;
    views[i] = copy;
  }
  chunk.users++;
  return chunk;
}

function unuse(chunk: CopyChunk): void {
  if (--chunk.users > 0) return;
  chunk.fill = 0;
  if (chunk !== copyChunk && spareChunks.length < SPARE_CHUNKS_MAX) spareChunks.push(chunk);
}

// Their sends reach the kernel before process.exit() ends the process, as the bytes of
// libuv's completed writes already have.
let sendsFlushedAtExit = false;
function flushSendsAtExit(): void {
  if (sendsFlushedAtExit) return;
  sendsFlushedAtExit = true;
  process.on('exit', () => ring.sockets!.submitNow());
}

export type NativeHandle = Record<string | symbol, unknown> & {
  open(fd: number): number; listen(backlog: number): number; readStart(): number; unref(): void; close(callback?: () => void): void;
};

// What reads a stream in place of `onread`: the http parser (http-parser.ts).
// `restOfRead`: bytes libuv's read carried together with those that stopped the stream.
export interface StreamConsumer {
  consumeChunk(chunk: Uint8Array, restOfRead: boolean): void;
}

export abstract class RingStream {
  fd: number;
  reading = false;
  consumer: StreamConsumer | null = null;
  bytesRead = 0;
  bytesWritten = 0;
  writeQueueSize = 0;
  onread: (arrayBuffer?: ArrayBuffer) => unknown = noop;
  onconnection: (err: number, handle?: RingStream) => void = noop;

  protected family: 0 | 4 | 6 = 4;
  private refed = true;
  private closed = false;
  // The native TCP handle this one became when it was sent to another process (toNative).
  private nativeTwin: NativeHandle | null = null;
  private recvId = -1;          // the armed multishot receive, until its last completion
  private acceptId = -1;        // the armed multishot accept, until its last completion
  private connectId = -1;
  private sendId = -1;          // the send in flight
  private connectReq: Request | null = null;  // the connect in flight's request, until answered
  private shutdowns: Request[] = [];           // shutdowns pended to run, their callbacks not yet run
  private ended = false;        // end of stream or a read error seen
  private dataBatch = -1;       // the completion batch that last carried bytes
  private batchBytes = 0;       // bytes of that batch delivered
  private held: (Uint8Array | number)[] = [];  // chunks and end/error that came while stopped
  private userBuffer: Uint8Array | null = null;
  private queue: Pending[] = [];
  private sendCopies: CopyChunk[] = [];  // the chunks the send in flight carries copies from
  private reportedBytes = 0;    // bytes of queued writes already reported done
  // The delivery of received bytes (and the task queue after it) in which what is written
  // answers the peer's bytes (echo, an http response) -- see mayReport.
  private answerEpoch = -1;
  private sendFailure = 0;      // the error a reported write's send met (see onSent)
  private sending = false;
  private heldDue = false;      // deliverHeld waits for the next poll
  private writeShut = false;    // shutdown(2) done: a received end of stream hangs the socket up
  protected shutdownPending = false;  // from shutdown() until its callback runs, as libuv's shutdown_req
  protected resetOnClose = false;     // SO_LINGER 0 is set: close(2) sends a reset
  private asyncResource: AsyncResource | null = null;
  private backlog = 511;

  constructor(fd = -1) {
    this.fd = fd;
  }

  // The async_hooks provider name of the Node handle this one stands for.
  protected abstract readonly asyncType: 'TCPWRAP' | 'PIPEWRAP';

  // A Node handle to take this one's place, while nothing has happened on it (no descriptor).
  nativeStandIn(): NativeHandle | null {
    return this.fd < 0 && !this.closed ? this.nativeHandle(false) : null;
  }

  getAsyncId(): number {
    this.asyncResource ??= new AsyncResource(this.asyncType);
    return this.asyncResource.asyncId();
  }

  // ---- setup --------------------------------------------------------------------------------

  protected ensureSocket(family: 0 | 4 | 6): number {
    if (this.fd >= 0) return 0;
    const fd = ring.sockets!.socket(family);
    if (fd < 0) return fd;
    this.fd = fd;
    this.family = family;
    return 0;
  }

  listen(backlog: number): number {
    this.backlog = backlog;
    const err = this.ensureSocket(this.family) || ring.sockets!.listen(this.fd, backlog | 0);
    if (err === 0) this.armAccept();
    return err;
  }

  private armAccept(): void {
    this.acceptId = ring.accept(this.fd, !this.refed, (res, flags) => this.onAccept(res, flags));
  }

  private onAccept(res: number, flags: number): void {
    if (!(flags & CQE_F_MORE)) this.acceptId = -1;
    if (this.closed) {
      if (res >= 0) ring.sockets!.closeSync(res);
      return;
    }
    if (res >= 0) this.onconnection(0, this.accepted(res));
    else if (res !== ECANCELED) this.onconnection(res);
    if (this.acceptId === -1 && !this.closed) {
      // The kernel ended the multishot (an error, or an overflowing CQ): arm it again, after
      // a turn of the loop when it failed, so a persistent error (EMFILE) cannot spin.
      if (res >= 0) this.armAccept();
      else setImmediate(() => { if (!this.closed && this.acceptId === -1) this.armAccept(); });
    }
  }

  protected startConnect(req: Request, family: 0 | 4 | 6, address: string, port: number): number {
    const err = this.ensureSocket(family);
    if (err) return err;
    const id = ring.connect(this.fd, family, String(address), port | 0, (res) => {
      this.connectId = -1;
      if (this.connectReq !== req) return;  // answered as the handle closed
      this.connectReq = null;
      answerConnect(req, res, this);
    });
    if (id < 0) return id;
    this.connectId = id;
    this.connectReq = req;
    return 0;
  }

  // ---- reading ------------------------------------------------------------------------------

  readStart(): number {
    if (this.closed) return EBADF;
    this.reading = true;
    // What came while stopped is delivered from the loop's next poll, where libuv's next read
    // would find it, not from within readStart (net.js calls it from read(), resume() and such).
    if (this.held.length > 0) this.deliverHeldLater();
    if (!this.ended && this.recvId === -1) return this.armRecv();
    return 0;
  }

  private deliverHeldLater(): void {
    if (this.heldDue) return;
    this.heldDue = true;
    ring.nextPoll(this.deliverHeld);
  }

  // What follows bytes delivered in this poll is what libuv's reads of them meet (see onRecv):
  // an end of stream waits for the next poll, a reset reads as end of stream.
  private readonly deliverHeld = (): void => {
    this.heldDue = false;
    let bytesDelivered = false;
    while (this.held.length > 0 && this.reading && !this.closed) {
      const item = this.held[0];
      if (item === UV_EOF && bytesDelivered && !this.hungUpBothWays()) {
        this.deliverHeldLater();
        return;
      }
      this.held.shift();
      if (typeof item !== 'number') {
        bytesDelivered = true;
        this.countRead(item.byteLength);
      }
      this.deliver(item === ECONNRESET && this.lastReadPartial() && resetReadsAsEnd ? UV_EOF : item);
    }
  };

  // Whether libuv's wake-up would report the end of stream right after a short read: the socket
  // shut down both ways (its POLLHUP) -- our side too, or (before libuv 1.52, which reads again
  // at the next wake-up there) a reset or a Unix peer gone.
  private hungUpBothWays(): boolean {
    return this.writeShut || (resetReadsAsEnd && this.fd >= 0 && ring.sockets!.hungUp(this.fd));
  }

  // Bytes delivered in this batch, as libuv's reads of this wake-up would have carried them.
  private countRead(bytes: number): void {
    if (this.dataBatch !== ring.batchNumber()) this.batchBytes = 0;
    this.dataBatch = ring.batchNumber();
    this.batchBytes += bytes;
  }

  // Whether libuv's last read of this wake-up came up short -- in the wake-up where it meets
  // a hang-up, it reports the end of stream without reading again (uv__stream_io). A read that
  // filled its 64 KiB reads once more, and meets the reset.
  private lastReadPartial(): boolean {
    return this.dataBatch === ring.batchNumber() && this.batchBytes % LIBUV_READ_SIZE !== 0;
  }

  readStop(): number {
    this.reading = false;
    // Stop receiving at the kernel, so a paused socket's window fills and the peer slows down.
    // What was already received before the cancel lands is held for the next readStart.
    if (this.recvId !== -1) ring.cancelOperation(this.recvId);
    return 0;
  }

  useUserBuffer(buffer: Uint8Array): void {
    this.userBuffer = buffer;
  }

  private armRecv(): number {
    const id = ring.recv(this.fd, !this.refed, (res, flags) => this.onRecv(res, flags));
    if (id < 0) return id;
    this.recvId = id;
    return 0;
  }

  private onRecv(res: number, flags: number): void {
    const last = !(flags & CQE_F_MORE);
    if (last) this.recvId = -1;
    if (this.closed) return;
    // A reset that arrives with bytes still unread reads as end of stream under Node 20 and 22:
    // their libuv reports EOF for a hang-up seen in the same wake-up as a partial read
    // (uv__stream_io), and keeps the bytes -- if the stream is still reading after that read
    // (net.js stops it when the bytes fill its buffer; the next read then meets the reset).
    // Seen here as a reset in the batch that carried the bytes. libuv 1.52 (Node 24) reports
    // the reset.
    let hungUp = false;
    if (res === ECONNRESET && resetReadsAsEnd && this.reading && this.lastReadPartial()) {
      res = 0;
      hungUp = true;
    }
    // The reset a reported write's send met is the reader's, as it is when libuv's write got
    // through first: that send took the socket's pending error, and the receive finds a bare end.
    else if (res === 0 && this.sendFailure === ECONNRESET) res = ECONNRESET;
    if (res > 0) {
      this.countRead(0);  // this batch carries bytes, delivered now or held
      let chunk = ring.takeReceived(res, flags);
      if (!this.reading && this.userBuffer === null && this.held.length === 0) {
        // libuv reads up to 64 KiB at a time and net.js stops it after the read whose push
        // filled the buffer: the bytes of this wake-up up to the end of that read are still
        // delivered, as one read would have carried them.
        const into = this.batchBytes % LIBUV_READ_SIZE;
        const room = into === 0 ? 0 : Math.min(LIBUV_READ_SIZE - into, res);
        if (room > 0) {
          this.countRead(room);
          this.deliver(chunk.subarray(0, room), true);
          chunk = chunk.slice(room);
        }
      }
      if (this.reading && this.held.length === 0) {
        this.countRead(chunk.byteLength);
        this.answerEpoch = ring.deliveryEpoch();
        this.deliver(chunk);
      } else if (chunk.byteLength > 0) {
        this.held.push(chunk);
      }
    } else if (res === 0 || (res !== ECANCELED && res !== ENOBUFS)) {
      this.ended = true;
      const status = res === 0 ? UV_EOF : res;
      // An end of stream in the wake-up that brought bytes: libuv's read of those bytes came
      // up short and stopped, and its next wake-up reads the end -- after what runs in between
      // (an end()'s shutdown callback and 'finish', say). Unless the socket is hung up both
      // ways (the reset above, our side shut down too, a reset behind the peer's FIN, a Unix
      // peer gone), which uv__stream_io reports at once.
      const endWaits = res === 0 && !hungUp && this.dataBatch === ring.batchNumber() && !this.hungUpBothWays();
      if (this.reading && this.held.length === 0 && !endWaits) this.deliver(status);
      else {
        this.held.push(status);
        if (this.reading) this.deliverHeldLater();
      }
    }
    if (last && this.reading && !this.ended && !this.closed) this.armRecv();
  }

  private deliver(item: Uint8Array | number, restOfRead = false): void {
    if (typeof item === 'number') {
      setReadResult(item);
      this.onread(undefined);
      return;
    }
    this.bytesRead += item.byteLength;
    if (this.consumer !== null) {
      this.consumer.consumeChunk(item, restOfRead);
      return;
    }
    if (this.userBuffer === null) {
      setReadResult(item.byteLength);
      this.onread(item.buffer as ArrayBuffer);
      return;
    }
    // onread: { buffer } sockets: the bytes land in the user's buffer, at most its size at a time.
    for (let at = 0; at < item.byteLength && !this.closed;) {
      if (!this.reading) {
        this.held.unshift(item.subarray(at));  // paused from the callback: the rest waits
        this.bytesRead -= item.byteLength - at;
        return;
      }
      const target = this.userBuffer!;
      const n = Math.min(target.byteLength, item.byteLength - at);
      target.set(item.subarray(at, at + n));
      at += n;
      setReadResult(n);
      const next = this.onread(target.buffer as ArrayBuffer);
      if (next instanceof Uint8Array) this.userBuffer = next;
    }
  }

  // ---- writing ------------------------------------------------------------------------------

  // `req` is null under Node 24.22+ (see lazyWriteRequest): then a write that waits returns its
  // request rather than 0.
  writeBuffer(req: Request | null, data: Uint8Array): number | Request {
    return this.enqueue(req, [data], LENT);
  }

  writev(req: Request | null, chunks: (Uint8Array | string)[], allBuffers: boolean): number | Request {
    const views: Uint8Array[] = [];
    const owned: boolean[] = [];
    if (allBuffers) {
      for (const chunk of chunks) views.push(chunk as Uint8Array);
    } else {
      for (let i = 0; i < chunks.length; i += 2) {
        const chunk = chunks[i];
        const isString = typeof chunk === 'string';
        // (http ends every response with an empty string: a Buffer of it costs a zero-filled
        // allocation, and it carries nothing.)
        if (isString && chunk.length === 0) continue;
        views.push(isString ? Buffer.from(chunk, chunks[i + 1] as BufferEncoding) : chunk);
        owned.push(isString);
      }
    }
    return this.enqueue(req, views, allBuffers ? LENT : owned);
  }

  // The last argument is the string's worst-case encoded size (see STRING_TRY_WRITE_MAX).
  writeUtf8String(req: Request | null, s: string): number | Request { return this.enqueue(req, [Buffer.from(s, 'utf8')], OWNED, 3 * s.length); }
  writeLatin1String(req: Request | null, s: string): number | Request { return this.enqueue(req, [Buffer.from(s, 'latin1')], OWNED, s.length); }
  writeAsciiString(req: Request | null, s: string): number | Request { return this.enqueue(req, [Buffer.from(s, 'ascii')], OWNED, s.length); }
  writeUcs2String(req: Request | null, s: string): number | Request { return this.enqueue(req, [Buffer.from(s, 'ucs2')], OWNED, 2 * s.length); }

  shutdown(req: Request): number {
    if (this.closed) return EBADF;
    this.shutdownPending = true;
    this.queue.push({ req, views: null, left: 0, reported: false, copies: null });
    this.pump();
    return 0;
  }

  // A write libuv's try-write would complete at once completes at once here too, in one of two
  // ways. An answer to bytes just received (mayReport) is reported done and its send waits in
  // the SQ for the batch's one enter, with every other socket's answers: one system call per
  // batch rather than one per write, and the peer woken once per batch rather than once per
  // write -- most of what a loopback send costs the sender. The bytes a caller lent are copied
  // first, since it may reuse them the moment the write is done. Any other write goes out now
  // if the socket takes it whole (libuv's try-write); what is left goes on the ring, and its
  // request completes from the send's completion.
  // `owned`: per view, whether the shim made it (a string's bytes) rather than the caller.
  private enqueue(req: Request | null, views: Uint8Array[], owned: readonly boolean[], stringSize = Infinity): number | Request {
    if (this.closed) return EBADF;
    let bytes = 0;
    for (const view of views) bytes += view.byteLength;
    this.bytesWritten += bytes;
    const lent = this.mayReport(bytes, views, owned);
    if (lent >= 0) {
      const copies = copyLent(views, owned, lent);
      flushSendsAtExit();
      this.reportedBytes += bytes;
      this.queue.push({ req: alreadyReported, views, left: bytes, reported: true, copies });
      this.pump();
      setWriteDispatched(bytes, false);
      return 0;
    }
    let sent = 0;
    // (An empty write may also go ahead of reported ones: it carries no bytes to reorder.)
    const nothingWaits = this.queue.length === 0 || (bytes === 0 && this.queue[this.queue.length - 1].reported);
    if (nothingWaits && this.fd >= 0) {
      // An empty write too: libuv's try-write makes the system call with 0 bytes, which
      // completes at once -- or fails, on a reset socket.
      sent = ring.sockets!.trySend(this.fd, views);
      if (sent < 0) {
        if (stringSize <= STRING_TRY_WRITE_MAX) this.bytesWritten -= bytes;
        setWriteDispatched(0, false);
        return sent;
      }
      if (sent === bytes) {
        setWriteDispatched(bytes, false);
        return 0;
      }
    }
    const waiting = req ?? lazyWriteRequest<Request>();
    const entry: Pending = { req: waiting, views, left: bytes, reported: false, copies: null };
    if (sent > 0) trim(entry, sent);
    this.writeQueueSize += entry.left;
    this.queue.push(entry);
    setWriteDispatched(bytes, true);
    this.pump();
    return req === null ? waiting : 0;
  }

  // Whether a write may be reported done before its send: only one answering bytes just
  // received (the peer was there a moment ago), when this batch brings no end or error from the
  // peer (else the write goes out now, to meet the error where libuv's try-write meets it), on
  // a socket that met none, behind nothing but reported writes, within REPORTED_MAX, and with
  // at most REPORTED_COPY_MAX lent bytes to copy. Returns how many lent bytes there are to
  // copy, or -1 when the write may not be reported.
  private mayReport(bytes: number, views: readonly Uint8Array[], owned: readonly boolean[]): number {
    if (this.answerEpoch !== ring.deliveryEpoch() || this.recvId === -1 || ring.endsThisBatch(this.recvId)) return -1;
    if (bytes === 0 || this.fd < 0 || this.ended || this.sendFailure !== 0) return -1;
    if (this.reportedBytes + bytes > REPORTED_MAX) return -1;
    if (this.queue.length > 0 && !this.queue[this.queue.length - 1].reported) return -1;
    let lent = 0;
    for (let i = 0; i < views.length; i++) if (!owned[i]) lent += views[i].byteLength;
    return lent <= REPORTED_COPY_MAX ? lent : -1;
  }

  // One send in flight per socket, carrying every queued write up to the next shutdown, so
  // bytes leave in order and a partial send is resumed before anything behind it.
  // `fromCompletion`: called from a send's completion, where libuv makes a shutdown at once.
  private pump(fromCompletion = false): void {
    if (this.sending || this.queue.length === 0) return;
    const head = this.queue[0];
    if (head.views === null) {
      // shutdown(2) itself, not the ring's (always punted to a worker thread), and its callback
      // right after, where uv__drain makes them: at once when a send's completion emptied the
      // queue, else from the loop's pending phase -- the FIN leaves then, not when JS asks.
      this.queue.shift();
      this.shutdowns.push(head.req);
      const shut = (): void => {
        // Not once the handle has closed: that answered it.
        const at = this.shutdowns.indexOf(head.req);
        if (at === -1) return;
        this.shutdowns.splice(at, 1);
        const status = this.fd >= 0 ? ring.sockets!.shutdownSync(this.fd, SHUT_WR) : ECANCELED;
        this.writeShut = status === 0;
        this.shutdownPending = false;
        head.req.oncomplete(status);
      };
      if (fromCompletion) shut();
      else ring.pending(shut);
      this.pump(fromCompletion);
      return;
    }
    this.sending = true;
    // Up to IOV_MAX buffers, possibly ending inside one request's views (a short send).
    const iov: Uint8Array[] = [];
    outer: for (const entry of this.queue) {
      if (entry.views === null) break;
      if (entry.copies !== null) {
        entry.copies.users++;
        this.sendCopies.push(entry.copies);
      }
      for (const view of entry.views) {
        if (iov.length === IOV_MAX) break outer;
        if (view.byteLength > 0) iov.push(view);
      }
    }
    if (iov.length === 0) {
      // Only empty writes up to the next shutdown: nothing to send, they complete next turn.
      setImmediate(() => this.onSent(0));
      return;
    }
    this.sendId = ring.sendmsg(this.fd, iov, this.sent);
  }

  private readonly sent = (res: number): boolean => this.onSent(res);

  // True when only writes already reported done completed (see ring.Listener).
  private onSent(res: number): boolean {
    this.sending = false;
    this.sendId = -1;
    for (const chunk of this.sendCopies) unuse(chunk);
    this.sendCopies.length = 0;
    if (this.closed) {
      // Answered here if the send completed first (as it may after toNative, which has no
      // closing phase); else the closing phase did it.
      const waiting = this.dropQueue();
      for (const entry of waiting) entry.req.oncomplete(res < 0 ? res : ECANCELED);
      return waiting.length === 0;
    }
    if (res < 0) {
      // The failed send's requests get the error; Node destroys the socket on it. Writes already
      // reported done have no one left to tell: libuv's would have reached the kernel before
      // the reset, whose error the reader then meets (onRecv) or the next write's try-write.
      // With no one told, an end() queued behind them still runs (net.js waits for it).
      const failed = this.takeUpTo(Infinity);
      if (failed.every((entry) => entry.reported)) {
        this.sendFailure = res;
        this.pump(true);
        return false;
      }
      for (const entry of failed) if (!entry.reported) entry.req.oncomplete(res);
      return false;
    }
    const done = this.takeUpTo(res);
    const shutsNow = this.queue.length > 0 && this.queue[0].views === null;
    this.pump(true);
    let quiet = !shutsNow;
    for (const entry of done) {
      if (entry.reported) continue;
      quiet = false;
      entry.req.oncomplete(0);
    }
    return quiet;
  }

  // Removes the write entries `sent` bytes completed (trimming a partly sent one in place).
  private takeUpTo(sent: number): Pending[] {
    const done: Pending[] = [];
    while (this.queue.length > 0 && this.queue[0].views !== null) {
      const entry = this.queue[0];
      const taken = Math.min(sent, entry.left);
      if (entry.reported) this.reportedBytes -= taken;
      else this.writeQueueSize -= taken;
      if (sent >= entry.left) {
        sent -= entry.left;
        done.push(this.queue.shift()!);
        if (entry.copies !== null) unuse(entry.copies);
        continue;
      }
      if (sent > 0) trim(entry, sent);
      break;
    }
    return done;
  }

  // Empties the write queue; its copies stay in use while a send in flight carries them.
  private dropQueue(): Pending[] {
    const dropped = this.queue.splice(0);
    for (const entry of dropped) if (entry.copies !== null) unuse(entry.copies);
    return dropped;
  }

  // ---- closing ------------------------------------------------------------------------------

  // As uv_close: the descriptor is closed now (a closed server refuses connections at once;
  // a listener is shut down first, since an accept in flight holds the socket in the kernel),
  // and every op on it is cancelled. From this turn's closing phase, as uv__stream_destroy, the
  // requests still waiting are answered as cancelled -- the connect, the writes, the shutdown --
  // and then the callback runs. The ops' own last completions come later and change nothing:
  // what the kernel may still touch is the ring's, or referenced by its op until then.
  close(callback?: () => void): void {
    if (this.closed) {
      // Handed over to a native twin (a raw handle sent to another process, as cluster's
      // round-robin primary does): closing this handle closes that one.
      this.nativeTwin?.close(callback);
      this.nativeTwin = null;
      return;
    }
    this.closed = true;
    this.reading = false;
    for (const id of [this.recvId, this.acceptId, this.connectId, this.sendId]) if (id !== -1) ring.cancelOperation(id);
    if (this.fd >= 0) {
      let reset = this.resetOnClose;
      if (this.acceptId !== -1) ring.sockets!.shutdownSync(this.fd, SHUT_RD);
      // (Not asked again after reset(): the check locks the socket, and a lock's release sends
      // what TCP deferred -- bytes libuv's close would have dropped with the reset.)
      else if (this.family !== UNIX && !reset && this.tookUnread()) reset = ring.sockets!.setLinger0(this.fd) === 0;
      // Held by ring ops, the socket outlives close(2): closeSync sends its reset or FIN now.
      const heldTcp = this.family !== UNIX && (this.recvId !== -1 || this.sendId !== -1);
      ring.sockets!.closeSync(this.fd, reset, heldTcp);
      this.fd = -1;
    }
    ring.atClosing(() => {
      const connect = this.connectReq;
      this.connectReq = null;
      if (connect !== null) answerConnect(connect, ECANCELED, this);
      this.writeQueueSize = 0;
      for (const entry of this.dropQueue()) entry.req.oncomplete(ECANCELED);
      for (const req of this.shutdowns.splice(0)) req.oncomplete(ECANCELED);
      this.shutdownPending = false;
      this.asyncResource?.emitDestroy();
      if (typeof callback === 'function') callback();
    });
  }

  // Whether libuv would close this TCP socket with bytes it never read -- and close(2) then
  // sends a reset, not a FIN: bytes the ring took after net.js stopped reading (held), bytes
  // its receive took that JS has not been handed yet, or bytes in the kernel that the armed
  // receive would still take before the cancel releases the socket.
  private tookUnread(): boolean {
    if (this.held.some((item) => typeof item !== 'number')) return true;
    return this.recvId !== -1 && ring.sockets!.unreadBytes(this.fd, this.recvId) > 0;
  }

  // Node's own TCP handle over this socket, for the places that need a native one (a handle
  // sent to another process). The ring lets go of the descriptor: its ops are cancelled, and
  // bytes or connections those ops still take before the cancel lands are lost.
  toNative(server: boolean): NativeHandle {
    if (this.nativeTwin !== null) return this.nativeTwin;
    const native = this.nativeHandle(server);
    const fd = this.fd;
    this.fd = -1;
    this.closed = true;
    for (const id of [this.recvId, this.acceptId]) if (id !== -1) ring.cancelOperation(id);
    ring.sockets!.release(fd);
    native.open(fd);
    for (const key of Object.getOwnPropertySymbols(this)) native[key] = (this as unknown as Record<symbol, unknown>)[key];
    native.onread = this.onread;
    native.onconnection = this.onconnection;
    if (server) {
      native.listen(this.backlog);
    } else if (this.reading) {
      native.reading = true;
      native.readStart();
    }
    if (!this.refed) native.unref();
    this.nativeTwin = native;
    return native;
  }

  // A connection this listener accepted, as a handle of its own kind.
  protected abstract accepted(fd: number): RingStream;

  // A Node handle of the same kind (tcp_wrap's TCP, pipe_wrap's Pipe), for toNative.
  protected abstract nativeHandle(server: boolean): NativeHandle;

  ref(): void { this.setRef(true); }
  unref(): void { this.setRef(false); }
  hasRef(): boolean { return this.refed; }

  private setRef(refed: boolean): void {
    if (this.refed === refed) return;
    this.refed = refed;
    if (this.recvId !== -1) ring.setWeak(this.recvId, !refed);
    if (this.acceptId !== -1) ring.setWeak(this.acceptId, !refed);
  }
}

function trim(entry: Pending, sent: number): void {
  const views = entry.views!;
  entry.left -= sent;
  while (sent > 0) {
    const first = views[0];
    if (sent >= first.byteLength) {
      sent -= first.byteLength;
      views.shift();
    } else {
      views[0] = first.subarray(sent);
      sent = 0;
    }
  }
}

// autoSelectFamily drops the request of an attempt that timed out.
function answerConnect(req: Request, status: number, handle: RingStream): void {
  if (typeof req.oncomplete === 'function') req.oncomplete(status, handle, req, true, true);
}

function noop(): void {}
