// `uring-shim/net`: node:net with Socket and Server subclasses whose TCP handles live on the
// ring (so `instanceof net.Socket` holds), and connect/createConnection/createServer building
// them. Everything else is node:net's own. Importing this changes nothing in node:net itself;
// `uring-shim/register` does that.
import * as nodeNet from 'node:net';
import { installOn } from './ring-net';

class Socket extends nodeNet.Socket {}
class Server extends nodeNet.Server {}
installOn(Socket.prototype, Server.prototype);

const normalizeArgs = (nodeNet as unknown as { _normalizeArgs(args: unknown[]): [nodeNet.NetConnectOpts & { timeout?: number }, unknown] })._normalizeArgs;

// net.connect's own steps, with this module's Socket.
function connect(...args: unknown[]): nodeNet.Socket {
  const normalized = normalizeArgs(args);
  const options = normalized[0];
  const socket = new Socket(options);
  if (options.timeout) socket.setTimeout(options.timeout);
  return (socket.connect as (normalized: unknown) => nodeNet.Socket)(normalized);
}

function createServer(...args: unknown[]): nodeNet.Server {
  return new (Server as new (...a: unknown[]) => nodeNet.Server)(...args);
}

const net: typeof nodeNet & { Stream: typeof Socket } = {
  ...nodeNet,
  Socket,
  Stream: Socket,
  Server,
  connect: connect as typeof nodeNet.connect,
  createConnection: connect as typeof nodeNet.createConnection,
  createServer: createServer as typeof nodeNet.createServer,
};
export = net;
