// Public types of `uring-shim/net` (require): Node's own net, which it is, with Socket and Server
// subclasses whose handles live on the ring (still `instanceof net.Socket`).
import net = require('node:net');
export = net;
