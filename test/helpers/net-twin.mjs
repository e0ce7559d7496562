// Differential net helpers: every scenario runs once over node:net (the oracle) and once over
// uring-shim/net, and what it records (events in order, errors' fields, bytes) is compared.
import * as nodeNet from 'node:net';
import shimNet from 'uring-shim/net';

export const impls = { node: nodeNet, shim: shimNet };

// The fields Node gives a system error, without the parts that differ run to run (ports).
export function errorShape(error, port) {
  if (!error) return error;
  const shape = { name: error.name, code: error.code, errno: error.errno, syscall: error.syscall };
  for (const key of ['address', 'port', 'localAddress', 'localPort']) if (key in error) shape[key] = error[key] === port ? '<PORT>' : error[key];
  shape.message = String(error.message).split(String(port)).join('<PORT>');
  return shape;
}

// Runs `scenario(net)` for both implementations and compares what each returned.
export async function same(t, name, scenario) {
  const results = {};
  for (const [impl, net] of Object.entries(impls)) results[impl] = await scenario(net, impl);
  t.strictSame(results.shim, results.node, name);
  return results;
}

export function listen(net, options = {}, onConnection) {
  return new Promise((resolve, reject) => {
    const server = net.createServer(options, onConnection);
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

export function closed(server) {
  return new Promise((resolve) => server.close(() => resolve()));
}

// Records `events` of an emitter in order, with the arguments `describe` keeps.
export function record(emitter, events, log, prefix, describe = () => undefined) {
  for (const event of events) {
    emitter.on(event, (...args) => {
      const detail = describe(event, ...args);
      log.push(detail === undefined ? `${prefix}${event}` : `${prefix}${event}:${detail}`);
    });
  }
}
