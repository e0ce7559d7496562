// FileHandle: a subclass of Node's own FileHandle, so that `instanceof` checks inside Node
// (streams' `fd` option, readFile/writeFile given a handle) accept it and every method the shim
// does not carry on the ring -- chmod, chown, utimes, readLines, createReadStream,
// createWriteStream, asyncDispose -- is Node's, working through `fd`. Node's class is not
// exported, so it is taken from the first handle Node opens, once, when the first handle is
// opened through the shim.
import { countDelegated, countRing } from '../counters';
import { fileClosedError, nodeError } from '../errors';
import * as ring from '../ring';
import { IORING_OP_FTRUNCATE } from '../native';
import { fileOptions, isEncoding, isIntegerAtLeast, isUint, isViewArray, position, readsNothing } from './args';
import { nodePromises } from './originals';
import { readFileHandle, statFlags, writeFileHandle, type HasFd } from './whole-file';
import { ReadStream, WriteStream } from '../streams/streams';

type AnyHandle = any;
const O_PATH = 0o10000000;  // Linux; the ring (and so this class) exists on Linux only
type NodeFileHandleClass = new () => AnyHandle;

let FileHandleClass: (new (fd: number) => AnyHandle) | undefined;
let loading: Promise<new (fd: number) => AnyHandle> | undefined;

export function fileHandleClass(): (new (fd: number) => AnyHandle) | Promise<new (fd: number) => AnyHandle> {
  if (FileHandleClass) return FileHandleClass;
  // The root directory, as O_PATH: anyone can open that, whatever credentials the process has
  // dropped to by now (this module's own file may be readable by root only).
  loading ??= nodePromises.open('/', O_PATH).then(async (probe) => {
    await probe.close();
    FileHandleClass = defineFileHandle(probe.constructor as NodeFileHandleClass, probe);
    return FileHandleClass;
  });
  return loading;
}

// Node's FileHandle `fd` accessor as it was when the class was first taken. Code that replaces
// it (Node's own tests do, to inject close errors) expects whole-file calls on paths to go
// through a FileHandle, as Node's do; while it is replaced, the shim's do too.
let nodeFdAccessor: PropertyDescriptor | undefined;

export function fileHandleInternalsPatched(): boolean {
  if (nodeFdAccessor === undefined) return false;
  return Object.getOwnPropertyDescriptor(Object.getPrototypeOf(FileHandleClass!.prototype), 'fd')?.get !== nodeFdAccessor.get;
}

export function isShimFileHandle(value: unknown): boolean {
  return FileHandleClass !== undefined && value instanceof FileHandleClass;
}

// Typed loosely: these index Node's own instances, whose shape TypeScript does not know.
function symbolNamed(object: object, description: string): any {
  const found = Object.getOwnPropertySymbols(object).find((s) => s.description === description);
  if (found === undefined) throw new Error(`uring-shim: Node's FileHandle has no ${description}`);
  return found;
}

// Node warns once per process that closing on GC is deprecated (node_file.cc). The close goes
// through the ring, which tracks the descriptors it opened to close them at teardown.
let gcDeprecationWarned = false;
const closeOnCollect = new FinalizationRegistry<number>((fd) => {
  ring.close(fd).then(() => warnClosedOnCollect(fd), () => {});
});

function warnClosedOnCollect(fd: number): void {
  process.emitWarning(`Closing file descriptor ${fd} on garbage collection`);
  if (!gcDeprecationWarned) {
    gcDeprecationWarned = true;
    process.emitWarning('Closing a FileHandle object on garbage collection is deprecated. Please close FileHandle objects explicitly using FileHandle.prototype.close(). In the future, an error will be thrown if a file descriptor is closed during garbage collection.', 'DeprecationWarning', 'DEP0137');
  }
}

let nextAsyncId = 1;

function defineFileHandle(NodeFileHandle: NodeFileHandleClass, probe: AnyHandle) {
  const kFd = symbolNamed(probe, 'kFd');
  const kRefs = symbolNamed(probe, 'kRefs');
  const kClosePromise = symbolNamed(probe, 'kClosePromise');
  const kRef = symbolNamed(NodeFileHandle.prototype, 'kRef');
  const kUnref = symbolNamed(NodeFileHandle.prototype, 'kUnref');
  const kTransfer = symbolNamed(NodeFileHandle.prototype, 'messaging_transfer_symbol');
  const kTransferList = symbolNamed(NodeFileHandle.prototype, 'messaging_transfer_list_symbol');
  const kHandle = symbolNamed(probe, 'kHandle');
  const NativeFileHandle = probe[kHandle].constructor as new (fd: number) => unknown;
  const node = NodeFileHandle.prototype;
  nodeFdAccessor = Object.getOwnPropertyDescriptor(node, 'fd');
  const kCloseResolve: any = Symbol('kCloseResolve');
  const kCloseReject: any = Symbol('kCloseReject');
  const kAsyncId: any = Symbol('kAsyncId');
  const kLocked: any = Symbol('kLocked');

  // Matches fsCall: closed-handle error named after Node's internal function, and a reference
  // held for the duration so that close() waits for the operation.
  // Like Node, reads `fd` through the (patchable) getter.
  async function fsCall<T>(handle: AnyHandle, syscall: string, api: string, run: (fd: number) => Promise<T>): Promise<T> {
    // Not a FileHandle at all: Node's own method fails its internal assertion, word for word.
    if (handle?.[kRefs] === undefined) return node.sync.call(handle);
    if (handle.fd === -1) throw fileClosedError(syscall);
    countRing(api);
    try {
      handle[kRef]();
      return await run(handle.fd);
    } finally {
      handle[kUnref]();
    }
  }

  function delegate(handle: AnyHandle, api: string, args: IArguments): Promise<unknown> {
    countDelegated(`FileHandle.${api}`);
    return node[api].apply(handle, args);
  }

  class FileHandle extends NodeFileHandle {
    constructor(fd: number) {
      super();
      this[kFd] = fd;
      this[kAsyncId] = nextAsyncId++;
      // Node's close is an arrow-function field; replace it in place so it stays an own property.
      this.close = () => closeHandle(this);
      closeOnCollect.register(this, fd, this);
    }

    getAsyncId(): number {
      return this[kAsyncId];
    }

    read(buffer?: unknown, offset?: unknown, length?: unknown, pos?: unknown): Promise<unknown> {
      let target: unknown = buffer;
      let start = offset;
      let count = length;
      let at = pos;
      let owned = false;
      if (!ArrayBuffer.isView(target)) {
        if (target !== undefined && (target === null || typeof target !== 'object')) return delegate(this, 'read', arguments);
        const params = (target ?? {}) as Record<string, unknown>;
        owned = params.buffer === undefined;
        target = params.buffer ?? Buffer.alloc(16384);
        start = params.offset ?? 0;
        count = params.length;
        at = params.position ?? null;
        if (!ArrayBuffer.isView(target)) return delegate(this, 'read', arguments);
      } else if (start !== null && typeof start === 'object') {
        const params = start as Record<string, unknown>;
        start = params.offset ?? 0;
        count = params.length;
        at = params.position ?? null;
      }
      const view = target as ArrayBufferView;
      start ??= 0;
      if (!isUint(start)) return delegate(this, 'read', arguments);
      count ??= view.byteLength - start;
      if (!isUint(count)) return delegate(this, 'read', arguments);
      // A zero length makes no read under Node, and what it answers differs by version (Node 20
      // gives back that very value, -0 included; Node 24.22 gives 0): Node's own answer.
      if (count === 0) return delegate(this, 'read', arguments);
      // A position other than null, -1 or a file offset is Node's to interpret: Node 20 reads at
      // the current position, Node 21+ reads at a bigint's offset and rejects the rest.
      at ??= -1;
      if (view.byteLength === 0 || start + count > view.byteLength || !isIntegerAtLeast(at, -1)) return delegate(this, 'read', arguments);
      const from = at;
      const first = start;
      const n = count;
      return fsCall(this, 'read', 'FileHandle.read', async (fd) => {
        const bytesRead = await (owned ? ring.readInto(fd, view, first, n, from) : ring.read(fd, view, first, n, from));
        return { __proto__: null, bytesRead, buffer: view };
      });
    }

    write(buffer: unknown, offsetOrOptions?: unknown, length?: unknown, pos?: unknown): Promise<unknown> {
      if (ArrayBuffer.isView(buffer)) {
        // Node returns early only for an empty view; a zero length is still a write(2) (EBADF on
        // a read-only handle), as is an empty string below.
        if (buffer.byteLength === 0) return fsCall(this, 'write', 'FileHandle.write', async () => ({ __proto__: null, bytesWritten: 0, buffer }));
        let start = offsetOrOptions;
        let count = length;
        let at = pos;
        // Node takes a null offset for an empty options object: the length and position
        // arguments are then ignored and the whole buffer is written at the current position.
        if (typeof start === 'object') {
          const params = (start ?? {}) as Record<string, unknown>;
          start = params.offset ?? 0;
          count = params.length;
          at = params.position ?? null;
        }
        start ??= 0;
        if (!isUint(start)) return delegate(this, 'write', arguments);
        if (typeof count !== 'number') count = buffer.byteLength - start;
        if (!isUint(count) || count > 2 ** 31 - 1 || start + count > buffer.byteLength) return delegate(this, 'write', arguments);
        const first = start;
        const n = count;
        const to = position(at);
        return fsCall(this, 'write', 'FileHandle.write', async (fd) => {
          const bytesWritten = await ring.write(fd, buffer, first, n, to);
          return { __proto__: null, bytesWritten, buffer };
        });
      }
      if (typeof buffer !== 'string' || (length !== undefined && (!isEncoding(length) || length === 'hex'))) {
        return delegate(this, 'write', arguments);
      }
      // write(string, position, encoding): the shim owns the encoded bytes, so no copy.
      const bytes = Buffer.from(buffer, (length as BufferEncoding | undefined) ?? 'utf8');
      const to = position(offsetOrOptions);
      return fsCall(this, 'write', 'FileHandle.write', async (fd) => {
        const bytesWritten = await ring.writeOwned(fd, bytes, 0, bytes.length, to);
        return { __proto__: null, bytesWritten, buffer };
      });
    }

    readv(buffers: unknown, pos?: unknown): Promise<unknown> {
      // An empty list is EINVAL from the kernel's readv; Node's path gives exactly that.
      if (!isViewArray(buffers) || buffers.length === 0 || readsNothing(buffers)) return delegate(this, 'readv', arguments);
      const from = typeof pos === 'number' ? position(pos) : -1;
      return fsCall(this, 'readv', 'FileHandle.readv', async (fd) => {
        const bytesRead = await ring.readv(fd, buffers, from);
        return { __proto__: null, bytesRead, buffers };
      });
    }

    writev(buffers: unknown, pos?: unknown): Promise<unknown> {
      if (!isViewArray(buffers)) return delegate(this, 'writev', arguments);
      const to = typeof pos === 'number' ? position(pos) : -1;
      return fsCall(this, 'writev', 'FileHandle.writev', async (fd) => {
        const bytesWritten = buffers.length === 0 ? 0 : await ring.writev(fd, buffers, to);
        return { __proto__: null, bytesWritten, buffers };
      });
    }

    stat(options?: unknown): Promise<unknown> {
      if (options !== undefined && (typeof options !== 'object' || options === null)) return delegate(this, 'stat', arguments);
      const bigint = (options as { bigint?: unknown } | undefined)?.bigint === true;
      return fsCall(this, 'fstat', 'FileHandle.stat', (fd) => ring.statx('fstat', fd, '', statFlags.fstat, bigint));
    }

    truncate(len: unknown = 0): Promise<unknown> {
      if (typeof len !== 'number' || !Number.isSafeInteger(len) || !ring.supports(IORING_OP_FTRUNCATE)) return delegate(this, 'truncate', arguments);
      return fsCall(this, 'ftruncate', 'FileHandle.truncate', (fd) => ring.ftruncate(fd, Math.max(0, len)));
    }

    sync(): Promise<unknown> {
      return fsCall(this, 'fsync', 'FileHandle.sync', (fd) => ring.fsync('fsync', fd));
    }

    datasync(): Promise<unknown> {
      return fsCall(this, 'fdatasync', 'FileHandle.datasync', (fd) => ring.fsync('fdatasync', fd));
    }

    // Node builds the default (non-'bytes') stream on its internal handle, which a ring-backed
    // FileHandle does not have; both types are served by the byte stream Node uses for 'bytes'.
    readableWebStream(options: { type?: unknown } = {}): ReadableStream {
      if (this[kFd] === -1) throw nodeError(Error, 'ERR_INVALID_STATE', 'Invalid state: The FileHandle is closed');
      if (this[kClosePromise]) throw nodeError(Error, 'ERR_INVALID_STATE', 'Invalid state: The FileHandle is closing');
      if (this[kLocked]) throw nodeError(Error, 'ERR_INVALID_STATE', 'Invalid state: The FileHandle is locked');
      if (options.type !== undefined && typeof options.type !== 'string') return node.readableWebStream.call(this, options);
      this[kLocked] = true;
      const handle = this;
      const done = () => handle[kUnref]();
      const readable = new ReadableStream({
        type: 'bytes',
        autoAllocateChunkSize: 16384,
        async pull(controller: ReadableByteStreamController) {
          const view = controller.byobRequest!.view!;
          const { bytesRead } = await handle.read(view, view.byteOffset, view.byteLength) as { bytesRead: number };
          if (bytesRead === 0) {
            done();
            controller.close();
          }
          controller.byobRequest!.respond(bytesRead);
        },
        cancel: done,
      });
      this[kRef]();
      this.once('close', () => { readable.cancel().catch(() => {}); });
      return readable;
    }

    readFile(options?: unknown): Promise<unknown> {
      const parsed = fileOptions(options);
      if (parsed === undefined) return delegate(this, 'readFile', arguments);
      return fsCall(this, 'readFile', 'FileHandle.readFile', () => readFileHandle(this as unknown as HasFd, parsed.encoding, parsed.signal));
    }

    writeFile(data: unknown, options?: unknown): Promise<unknown> {
      return writeHandle(this, 'writeFile', data, options, arguments);
    }

    appendFile(data: unknown, options?: unknown): Promise<unknown> {
      return writeHandle(this, 'appendFile', data, options, arguments);
    }

    // Node's build its own stream class; these build the ring-backed subclass that
    // `fs.ReadStream` / `fs.WriteStream` are once registered, so `instanceof` agrees. The stream
    // works through this handle's (ring-backed) methods, with Node's handle semantics.
    createReadStream(options?: object): unknown {
      return new ReadStream(undefined, { ...options, fd: this });
    }

    createWriteStream(options?: object): unknown {
      return new WriteStream(undefined, { ...options, fd: this });
    }

  }

  function writeHandle(handle: AnyHandle, api: 'writeFile' | 'appendFile', data: unknown, options: unknown, args: IArguments): Promise<unknown> {
    const parsed = fileOptions(options);
    if (parsed === undefined || !(typeof data === 'string' || ArrayBuffer.isView(data))) return delegate(handle, api, args);
    const bytes = typeof data === 'string' ? Buffer.from(data, parsed.encoding ?? 'utf8') : data;
    return fsCall(handle, 'writeFile', `FileHandle.${api}`, () => writeFileHandle(handle, bytes, parsed.signal));
  }

  // Matches FileHandle.close in Node: waits for operations holding a reference, emits 'close'
  // at once, and settles every caller with the one close result.
  function closeHandle(handle: AnyHandle): Promise<void> {
    if (handle[kFd] === -1) return Promise.resolve();
    if (handle[kClosePromise]) return handle[kClosePromise];
    handle[kRefs]--;
    if (handle[kRefs] === 0) {
      const fd = handle[kFd];
      handle[kFd] = -1;
      closeOnCollect.unregister(handle);
      countRing('FileHandle.close');
      handle[kClosePromise] = ring.close(fd).finally(() => { handle[kClosePromise] = undefined; });
    } else {
      handle[kClosePromise] = new Promise<void>((resolve, reject) => {
        handle[kCloseResolve] = resolve;
        handle[kCloseReject] = reject;
      }).finally(() => {
        handle[kClosePromise] = undefined;
        handle[kCloseReject] = undefined;
        handle[kCloseResolve] = undefined;
      });
    }
    handle.emit('close');
    return handle[kClosePromise];
  }

  // Node calls these through its own symbols (streams, fsCall, postMessage): drop the last
  // reference by closing on the ring; transfer as Node's FileHandle.
  Object.defineProperties(FileHandle.prototype, {
    [kUnref]: {
      configurable: true,
      writable: true,
      value: function unref(this: AnyHandle): void {
        this[kRefs]--;
        if (this[kRefs] === 0) {
          const fd = this[kFd];
          this[kFd] = -1;
          closeOnCollect.unregister(this);
          ring.close(fd).then(this[kCloseResolve], this[kCloseReject]);
        }
      },
    },
    // A Worker receives what Node's own transfer sends: a native handle owning the descriptor,
    // deserialized there as Node's FileHandle. The native handle is made only once the transfer
    // is known to be allowed, because it closes its descriptor when collected.
    [kTransferList]: {
      configurable: true,
      writable: true,
      value: function transferList(this: AnyHandle): unknown[] {
        if (this[kClosePromise] || this[kRefs] > 1) throw new DOMException('Cannot transfer FileHandle while in use', 'DataCloneError');
        this[kHandle] = new NativeFileHandle(this[kFd]);
        return [this[kHandle]];
      },
    },
    [kTransfer]: {
      configurable: true,
      writable: true,
      value: function transfer(this: AnyHandle): unknown {
        const handle = this[kHandle];
        this[kFd] = -1;
        this[kHandle] = null;
        this[kRefs] = 0;
        closeOnCollect.unregister(this);
        return { data: { handle }, deserializeInfo: 'internal/fs/promises:FileHandle' };
      },
    },
  });
  Object.defineProperty(FileHandle, 'name', { value: 'FileHandle' });
  return FileHandle as unknown as new (fd: number) => AnyHandle;
}

