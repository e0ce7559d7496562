// A Unix domain socket handle on the ring, in place of pipe_wrap's Pipe: the shared stream
// handle plus bind(name), connect(req, name) and fchmod. Like Pipe it has no addresses, no TCP
// options and no reset: net.js reads a pipe server's name from the server itself and skips what
// the handle lacks, so those stay exactly Node's.
import * as fs from 'node:fs';
import * as ring from '../ring';
import { libuvAtLeast, processBinding } from './stream-base';
import { RingStream, UNIX, type NativeHandle, type Request } from './stream-handle';

const EBADF = -9;
const EINVAL = -22;
const UV_READABLE = 1;
const UV_WRITABLE = 2;
// sockaddr_un's sun_path: a name must fit with its terminating NUL.
const SUN_PATH = 108;

const exactPipeChmod = libuvAtLeast(51);

interface PipeWrap { Pipe: new (type: number) => NativeHandle; constants: { SOCKET: number; SERVER: number } }

// Whether the ring takes a Unix socket of this name: a filesystem path that fits sun_path with
// its NUL. Longer names keep Node's own truncation and errors; abstract names (a leading NUL)
// stay Node's because their address length differs between Node versions' libuv (Node 20 pads
// the name to the whole of sun_path), and only Node's own handle matches the running Node.
export function ringPipeName(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && !name.includes('\0') && Buffer.byteLength(name) < SUN_PATH;
}

export class RingPipe extends RingStream {
  protected readonly asyncType = 'PIPEWRAP';
  protected override family: 0 | 4 | 6 = UNIX;
  // The filesystem name this handle bound, removed again on close as libuv's pipe close does.
  private boundPath: string | null = null;

  bind(name: string): number {
    const err = this.ensureSocket(UNIX) || ring.sockets!.bind(this.fd, UNIX, String(name), 0, false);
    if (err === 0) this.boundPath = name;
    return err;
  }

  connect(req: Request, name: string): number {
    return this.startConnect(req, UNIX, name, 0);
  }

  // uv_pipe_chmod. libuv 1.51 (Node 22+) gives the socket file exactly the bits asked for;
  // earlier versions (Node 20's) add them to its mode. (fchmod on the descriptor would change
  // the socket's own inode on Linux, not the file's.)
  fchmod(mode: number): number {
    if (this.boundPath === null) return EBADF;
    let wanted = 0;
    if (mode & UV_READABLE) wanted |= 0o444;
    if (mode & UV_WRITABLE) wanted |= 0o222;
    try {
      if (exactPipeChmod) {
        fs.chmodSync(this.boundPath, wanted);
      } else {
        const current = fs.statSync(this.boundPath).mode;
        if ((current & wanted) !== wanted) fs.chmodSync(this.boundPath, (current | wanted) & 0o7777);
      }
      return 0;
    } catch (error) {
      return (error as NodeJS.ErrnoException).errno ?? EINVAL;
    }
  }

  override close(callback?: () => void): void {
    if (this.boundPath !== null) {
      try { fs.unlinkSync(this.boundPath); } catch { /* gone already, as libuv ignores */ }
      this.boundPath = null;
    }
    super.close(callback);
  }

  protected accepted(fd: number): RingPipe {
    return new RingPipe(fd);
  }

  protected nativeHandle(server: boolean): NativeHandle {
    const { Pipe, constants } = processBinding<PipeWrap>('pipe_wrap');
    return new Pipe(server ? constants.SERVER : constants.SOCKET);
  }
}
