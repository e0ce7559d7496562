// Where Node's net.js would create a TCP or Pipe handle, a ring handle (RingTCP, RingPipe) is
// put in its place; everything else stays net.js's own code. The same three functions serve
// `uring-shim/net` (installed on its subclasses) and register (installed on node:net's own
// prototypes):
//   connect  -- a socket about to connect (TCP, or a Unix socket by path) without a handle gets
//               a ring handle first;
//   _listen2 -- a server about to create its listen handle gets a bound ring handle first;
//   kReinitializeHandle -- autoSelectFamily's per-attempt handles stay on the ring.
// Sockets the shim cannot serve keep Node's handles: sockets made from a handle or fd, cluster
// workers' shared listen handles, tls.connect's own socket, Unix names too long for sun_path.
import * as net from 'node:net';
import type * as tls from 'node:tls';
import { Duplex } from 'node:stream';
import * as ring from '../ring';
import { countDelegated, countHandedBack, countRing } from '../counters';
import { RingTCP } from './tcp-handle';
import { RingPipe, ringPipeName } from './pipe-handle';
import { RingStream } from './stream-handle';
import { installParserConsume } from './http-parser';

type Args = unknown[];
type Connect = (this: net.Socket, ...args: Args) => net.Socket;
type Listen2 = (this: net.Server, address: string | undefined, port: number, addressType: number,
  backlog: number, fd: number | undefined, flags: number) => void;
type AnyFn = (this: unknown, ...args: Args) => unknown;
interface WithHandle { _handle: unknown; destroyed?: boolean }

const normalizeArgs = (net as unknown as { _normalizeArgs(args: Args): [Record<string, unknown>, unknown] })._normalizeArgs;
const kRingSocket = Symbol('uring-shim.ringSocket');
export const kReinitializeHandle = Object.getOwnPropertySymbols(net.Socket.prototype)
  .find((symbol) => symbol.description === 'kReinitializeHandle');

let usable: boolean | undefined;
// The ring serves sockets only where it can receive into provided buffers (Linux 5.19+).
// tls is loaded (to adapt it) only once a ring socket exists, not at startup.
export function ringSockets(): boolean {
  if (usable === undefined) {
    usable = ring.available && ring.receiveBuffers() !== null;
    if (usable) {
      installTlsAdapter();
      installParserConsume();
    }
  }
  return usable;
}

export function ringConnect(original: Connect): Connect {
  return function connect(this: net.Socket, ...args: Args): net.Socket {
    const self = this as unknown as WithHandle & Record<symbol, unknown>;
    if (self._handle || self.destroyed) return original.apply(this, args);
    const normalized = Array.isArray(args[0]) && (args[0] as unknown[]).length === 2 &&
      Object.getOwnPropertySymbols(args[0]).length > 0 ? args[0] as ReturnType<typeof normalizeArgs> : normalizeArgs(args);
    const options = normalized[0];
    const path = options.path;
    if ((path == null || ringPipeName(path)) && ringSockets() && kReinitializeHandle !== undefined) {
      self[kRingSocket] = true;
      (this as unknown as Record<symbol, AnyFn>)[kReinitializeHandle].call(this, path == null ? new RingTCP() : new RingPipe());
      countRing('net.Socket');
    } else {
      countDelegated('net.Socket');
    }
    return original.call(this, normalized);
  };
}

export function ringReinitializeHandle(original: AnyFn): AnyFn {
  return function reinitializeHandle(this: unknown, handle: unknown): unknown {
    if ((this as Record<symbol, unknown>)[kRingSocket] && !(handle instanceof RingStream)) {
      (handle as { close(): void }).close();
      handle = new RingTCP();
    }
    return original.call(this, handle);
  };
}

// Node resets only TCP handles (`instanceof TCP`); a RingTCP is one too.
export function ringResetAndDestroy(original: AnyFn): AnyFn {
  return function resetAndDestroy(this: unknown): unknown {
    const socket = this as net.Socket & WithHandle & { _reset(): void; connecting: boolean };
    if (!(socket._handle instanceof RingTCP)) return original.call(this);
    if (socket.connecting) socket.once('connect', () => socket._reset());
    else socket._reset();
    return socket;
  };
}

const IPV6_ANY = '::';
const IPV4_ANY = '0.0.0.0';

const UV_TCP_IPV6ONLY = 1;

// Loaded only once a server listens: register must not pull tls (and crypto) into every process.
function isTlsServer(server: net.Server): boolean {
  return server instanceof (require('node:tls') as typeof tls).Server;
}

// http2 does not export its server class: an unstarted server's prototype names it, taken once
// http2 has been loaded by someone (until then no server can be one).
let http2ServerPrototype: object | undefined;
function isHttp2Server(server: net.Server): boolean {
  if (http2ServerPrototype === undefined) {
    const loaded = (process as unknown as { moduleLoadList?: string[] }).moduleLoadList;
    if (!loaded?.includes('NativeModule http2')) return false;
    http2ServerPrototype = Object.getPrototypeOf((require('node:http2') as typeof import('node:http2')).createServer()) as object;
  }
  return Object.prototype.isPrototypeOf.call(http2ServerPrototype, server);
}

// Whether Node's native code may read a ring handle as a C++ stream (`handle.isStreamBase`).
// http's server asks right after putting its listener wrappers on the socket, to have its parser
// read the handle straight: yes (parser.consume, answered for ring handles by http-parser.ts).
// Node's one other reader is http2, whose native session reads only C++ streams (a ring handle
// there crashed the process). Its client binds a socket before net.js connects it (a tick
// later, or after the lookup): that socket gets Node's own handle then, and http2 runs exactly
// as under Node. A socket already under way keeps its ring handle: no, and http2 reads it
// through Node's JS-stream adapter, as it reads any JS Duplex (its frames' events may then come
// in another order than over a native handle).
Object.defineProperty(RingStream.prototype, 'isStreamBase', {
  get(this: RingStream): boolean {
    const socket = ownerSocket(this);
    if (socket === undefined) return false;
    if (askedByHttpServer(socket)) return true;
    const standIn = kReinitializeHandle === undefined ? null : this.nativeStandIn();
    if (standIn === null) return false;
    delete socket[kRingSocket];
    (socket[kReinitializeHandle!] as AnyFn).call(socket, standIn);
    countHandedBack('net.Socket');
    return true;
  },
});

// The symbol net.js keys a handle's socket by (internalBinding('symbols').owner_symbol), found
// by its description on the first handle asked.
let ownerSymbol: symbol | undefined;

function ownerSocket(handle: RingStream): Record<string | symbol, unknown> | undefined {
  ownerSymbol ??= Object.getOwnPropertySymbols(handle).find((symbol) => symbol.description === 'owner_symbol');
  const socket = ownerSymbol === undefined ? undefined : (handle as unknown as Record<symbol, unknown>)[ownerSymbol];
  return typeof socket === 'object' && socket !== null ? socket as Record<string | symbol, unknown> : undefined;
}

function askedByHttpServer(socket: Record<string, unknown>): boolean {
  return Object.prototype.hasOwnProperty.call(socket, 'on') && typeof socket.on === 'function' && socket.on.name === 'socketListenerWrap';
}

export function ringListen2(original: Listen2): Listen2 {
  return function _listen2(this: net.Server, address, port, addressType, backlog, fd, flags) {
    const self = this as unknown as WithHandle;
    // Flags beyond IPv6-only (Node 22.12+'s reusePort) are binds the ring handle does not do.
    // A TLS server (https too) keeps Node's own handles: TLS over a ring socket goes through
    // Node's JS-stream adapter, which does not yet behave as Node's native path does on a
    // peer's FIN (see docs/ARCHITECTURE.md). So does an http2 server, for the same adapter.
    if (self._handle || typeof fd === 'number' || (addressType === -1 && !ringPipeName(address)) || (flags & ~UV_TCP_IPV6ONLY) !== 0 || isTlsServer(this) || isHttp2Server(this) || !ringSockets()) {
      countDelegated('net.Server');
      return original.call(this, address, port, addressType, backlog, fd, flags);
    }
    if (addressType === -1) {
      // A Unix socket: a failed bind is Node's own attempt again, so errors are Node's.
      const pipe = new RingPipe();
      if (pipe.bind(address!) !== 0) {
        pipe.close();
        countDelegated('net.Server');
        return original.call(this, address, port, addressType, backlog, fd, flags);
      }
      countRing('net.Server');
      self._handle = pipe;
      return original.call(this, address, port, addressType, backlog, fd, flags);
    }
    // Node's order: the unspecified address tries IPv6 first, then IPv4.
    let handle: RingTCP | null = null;
    if (!address) {
      handle = bound(6, IPV6_ANY, port, flags);
      if (handle) { address = IPV6_ANY; addressType = 6; } else { address = IPV4_ANY; addressType = 4; }
    }
    handle ??= bound(addressType === 6 ? 6 : 4, address, port, flags);
    if (handle === null) {
      // Node's own attempt reports the failure exactly as Node does (EADDRINUSE, EACCES, ...).
      countDelegated('net.Server');
      return original.call(this, address, port, addressType, backlog, fd, flags);
    }
    countRing('net.Server');
    self._handle = handle;
    return original.call(this, address, port, addressType, backlog, fd, flags);
  };
}

function bound(family: 4 | 6, address: string, port: number, flags: number): RingTCP | null {
  const handle = new RingTCP();
  const err = family === 6 ? handle.bind6(address, port, flags) : handle.bind(address, port);
  if (err === 0) return handle;
  handle.close();
  return null;
}

// tls_wrap needs a native stream under a TLSSocket: a ring socket is given to it through
// Node's own JS-stream adapter, the path Node takes for any non-native stream.
type WrapHandle = (this: tls.TLSSocket, wrap: unknown, handle: unknown, active: boolean) => unknown;
let JSStreamSocket: (new (stream: unknown) => WithHandle) | undefined;

export function ringWrapHandle(original: WrapHandle): WrapHandle {
  return function _wrapHandle(this: tls.TLSSocket, wrap, handle, active) {
    if (handle instanceof RingStream) {
      (wrap as Record<symbol, unknown>)[kUnderTls] = true;
      // As over a native handle, the raw socket's 'close' destroys the TLSSocket at once (not
      // a turn later, through the adapter's own close).
      (wrap as net.Socket).on('close', () => this.destroy());
      JSStreamSocket ??= findJSStreamSocket();
      wrap = new JSStreamSocket(wrap);
      handle = (wrap as WithHandle)._handle;
    }
    return original.call(this, wrap, handle, active);
  };
}

// With a native handle, the peer's FIN reaches the TLS layer only, and the TLSSocket (which
// took the raw socket's allowHalfOpen) decides when to end; the adapter ends the raw socket when
// the TLS layer shuts down. Through the adapter the raw socket sees the FIN too, and must not
// end itself while TLS still writes (writeAfterFIN): it is half-open from the moment the
// TLSSocket has copied its setting (after `_init`).
const kUnderTls = Symbol('uring-shim.underTls');
type Init = (this: tls.TLSSocket, socket: unknown, wrap: unknown) => unknown;

export function ringTlsInit(original: Init): Init {
  return function _init(this: tls.TLSSocket, socket, wrap) {
    const result = original.call(this, socket, wrap);
    const raw = socket as (net.Socket & Record<symbol, unknown>) | null | undefined;
    if (raw?.[kUnderTls]) raw.allowHalfOpen = true;
    return result;
  };
}

// Node keeps its JS-stream adapter internal; a TLSSocket over a plain Duplex reveals it.
function findJSStreamSocket(): new (stream: unknown) => WithHandle {
  const probe = new (require('node:tls') as typeof tls).TLSSocket(new Duplex({ read() {}, write(_chunk, _encoding, callback) { callback(); } }));
  const adapter = (probe as unknown as { _handle: { _parentWrap: { constructor: new (stream: unknown) => WithHandle } } })._handle._parentWrap;
  probe.destroy();
  return adapter.constructor;
}

// A server, socket or raw handle sent to another process (child.send, process.send, cluster's
// round-robin primary handing a connection to a worker) must be a native handle: it is
// converted to Node's own just before it is sent. Returns what to send.
function nativeForSending(target: unknown): unknown {
  if (target instanceof RingStream) return target.toNative(false);
  if (!(target instanceof net.Server) && !(target instanceof net.Socket)) return target;
  const owner = target as unknown as WithHandle;
  if (owner._handle instanceof RingStream) owner._handle = owner._handle.toNative(target instanceof net.Server);
  return target;
}

type Send = (this: unknown, message: unknown, handle?: unknown, ...rest: unknown[]) => boolean;
const kSendWrapped = Symbol('uring-shim.sendWrapped');

function wrapSend(holder: Record<string | symbol, unknown>): void {
  const original = holder.send as Send | undefined;
  if (typeof original !== 'function' || (original as unknown as Record<symbol, unknown>)[kSendWrapped]) return;
  const send = function send(this: unknown, message: unknown, handle?: unknown, ...rest: unknown[]): boolean {
    return original.call(this, message, nativeForSending(handle), ...rest);
  };
  (send as unknown as Record<symbol, unknown>)[kSendWrapped] = true;
  holder.send = send;
}

// process.send exists from startup in a forked child; a ChildProcess gets its send in spawn().
// A socket given as a child's stdio (an inetd-style server) is handed over by its handle too,
// which Node accepts only if it is its own.
export function installHandleSending(): void {
  wrapSend(process as unknown as Record<string, unknown>);
  const proto = (require('node:child_process') as typeof import('node:child_process')).ChildProcess.prototype as unknown as Record<string | symbol, unknown>;
  if (Object.prototype.hasOwnProperty.call(proto, kSendWrapped)) return;
  Object.defineProperty(proto, kSendWrapped, { value: true });
  const spawn = proto.spawn as AnyFn;
  proto.spawn = function (this: Record<string, unknown>, ...args: Args): unknown {
    const options = args[0] as { stdio?: unknown } | null | undefined;
    if (typeof options === 'object' && options !== null && Array.isArray(options.stdio)) {
      const stdio = options.stdio.map(nativeForSending);
      if (stdio.some((entry, i) => entry !== (options.stdio as unknown[])[i])) options.stdio = stdio;
    }
    const result = spawn.apply(this, args);
    wrapSend(this);
    return result;
  };
}

const installed = Symbol.for('uring-shim.net.installed');

// Puts the three hooks on `Socket`/`Server` prototypes (and TLS's adapter hook), once.
export function installOn(socketProto: object, serverProto: object): void {
  const sockets = socketProto as Record<string | symbol, unknown>;
  if (Object.prototype.hasOwnProperty.call(sockets, installed)) return;
  Object.defineProperty(sockets, installed, { value: true });
  sockets.connect = ringConnect(sockets.connect as Connect);
  if (kReinitializeHandle !== undefined) {
    sockets[kReinitializeHandle] = ringReinitializeHandle(sockets[kReinitializeHandle] as AnyFn);
  }
  const servers = serverProto as Record<string, unknown>;
  servers._listen2 = ringListen2(servers._listen2 as Listen2);
  // Accepted sockets are node:net's own Socket objects whatever the server's class.
  const base = net.Socket.prototype as unknown as Record<string | symbol, unknown>;
  if (!Object.prototype.hasOwnProperty.call(base, kResetInstalled)) {
    Object.defineProperty(base, kResetInstalled, { value: true });
    base.resetAndDestroy = ringResetAndDestroy(base.resetAndDestroy as AnyFn);
    installHandleSending();
  }
}

const kResetInstalled = Symbol.for('uring-shim.net.resetAndDestroy');

function installTlsAdapter(): void {
  const tlsModule = require('node:tls') as typeof tls;
  const proto = tlsModule.TLSSocket.prototype as unknown as Record<string | symbol, unknown>;
  if (Object.prototype.hasOwnProperty.call(proto, installed)) return;
  Object.defineProperty(proto, installed, { value: true });
  proto._wrapHandle = ringWrapHandle(proto._wrapHandle as WrapHandle);
  proto._init = ringTlsInit(proto._init as Init);
}
