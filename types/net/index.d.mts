// Public types of `uring-shim/net` (import): Node's own net, named exports and default.
import net from 'node:net';
export * from 'node:net';
export default net;
