// A TCP handle on the ring, in place of tcp_wrap's TCP: the shared stream handle plus what only
// TCP has -- bind/bind6, connect/connect6, reset, addresses, no-delay and keep-alive.
import * as ring from '../ring';
import { processBinding } from './stream-base';
import { EBADF, RingStream, type NativeHandle, type Request } from './stream-handle';

const EINVAL = -22;

type Address = { address?: string; family?: string; port?: number };
interface TcpWrap { TCP: new (type: number) => NativeHandle; constants: { SOCKET: number; SERVER: number } }

export class RingTCP extends RingStream {
  protected readonly asyncType = 'TCPWRAP';

  bind(address: string, port: number): number {
    return this.ensureSocket(4) || ring.sockets!.bind(this.fd, 4, String(address), port | 0, false);
  }

  bind6(address: string, port: number, flags: number): number {
    return this.ensureSocket(6) || ring.sockets!.bind(this.fd, 6, String(address), port | 0, (flags & 1) !== 0);
  }

  connect(req: Request, address: string, port: number): number {
    return this.startConnect(req, 4, address, port);
  }

  connect6(req: Request, address: string, port: number): number {
    return this.startConnect(req, 6, address, port);
  }

  protected accepted(fd: number): RingTCP {
    return new RingTCP(fd);
  }

  protected nativeHandle(server: boolean): NativeHandle {
    const { TCP, constants } = processBinding<TcpWrap>('tcp_wrap');
    return new TCP(server ? constants.SERVER : constants.SOCKET);
  }

  // libuv refuses a reset while a shutdown is pending (uv_tcp_close_reset: UV_EINVAL), and
  // net.js then reports 'error' and never closes: the same here.
  reset(callback?: () => void): number {
    if (this.shutdownPending) return EINVAL;
    const err = this.fd >= 0 ? ring.sockets!.setLinger0(this.fd) : 0;
    if (err !== 0) return err;
    this.resetOnClose = true;
    this.close(callback);
    return 0;
  }

  // ---- addresses and options ----------------------------------------------------------------

  getsockname(out: Address): number {
    return this.fd < 0 ? EBADF : ring.sockets!.sockname(this.fd, false, out);
  }

  getpeername(out: Address): number {
    return this.fd < 0 ? EBADF : ring.sockets!.sockname(this.fd, true, out);
  }

  setNoDelay(enable: boolean): number {
    return this.fd < 0 ? 0 : ring.sockets!.setNoDelay(this.fd, !!enable);
  }

  setKeepAlive(enable: boolean, delaySeconds: number): number {
    return this.fd < 0 ? 0 : ring.sockets!.setKeepAlive(this.fd, !!enable, delaySeconds | 0);
  }
}
