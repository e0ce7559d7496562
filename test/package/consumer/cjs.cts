// Type test: uring-shim used from CommonJS TypeScript as Node's modules would be.
import fsp = require('uring-shim/fs/promises');
import fs = require('uring-shim/fs');
import shim = require('uring-shim');
import net = require('uring-shim/net');

// Types through the module's name, as with `import net = require('node:net')`.
function echo(port: number): net.Server {
  const server: net.Server = net.createServer((socket: net.Socket) => { socket.pipe(socket); });
  const options: net.ListenOptions = { port, host: '127.0.0.1' };
  // @ts-expect-error createServer's listener takes a socket, not a string
  net.createServer((socket: string) => socket);
  return server.listen(options);
}

async function main(): Promise<number> {
  const text: string = await fsp.readFile(__filename, 'utf8');
  const handle = await fsp.open(__filename);
  const { size }: { size: number } = await handle.stat();
  await handle.close();
  fs.readFile(__filename, (err: NodeJS.ErrnoException | null, data: Buffer) => {
    if (err) throw err;
    void data.length;
  });
  // @ts-expect-error the callback API's readFile is not promise-returning
  const p: Promise<Buffer> = fs.readFile(__filename);
  // @ts-expect-error writeFile needs data
  await fsp.writeFile('/tmp/x');
  void p;
  echo(0).close();
  return text.length + size + (shim.stats().ring['open'] ?? 0);
}
export = main;
