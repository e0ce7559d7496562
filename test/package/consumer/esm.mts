// Type test: uring-shim used from ESM exactly as Node's modules would be. Compiled with
// `tsc --strict` by test/package/pack.test.mjs; an unused @ts-expect-error fails it too.
import { readFile, writeFile, open, stat, mkdir, rm } from 'uring-shim/fs/promises';
import fsp from 'uring-shim/fs/promises';
import fs, { readFileSync, createReadStream } from 'uring-shim/fs';
import { stats, ringSetup, type ShimStats } from 'uring-shim';
import 'uring-shim/register';
import net, { createServer, connect, Socket, Server, isIP, type AddressInfo } from 'uring-shim/net';
import type { FileHandle } from 'node:fs/promises';
import type { Stats, BigIntStats, ReadStream } from 'node:fs';

const dir: string | undefined = await mkdir('/tmp/x', { recursive: true });
await writeFile('/tmp/x/a', 'hello', { encoding: 'utf8', mode: 0o644 });
const text: string = await readFile('/tmp/x/a', 'utf8');
const bytes: Buffer = await readFile('/tmp/x/a');
const handle: FileHandle = await open('/tmp/x/a', 'r+');
const { bytesRead, buffer }: { bytesRead: number; buffer: Uint8Array } = await handle.read(new Uint8Array(4), 0, 4, 0);
await handle.close();
const st: Stats = await stat('/tmp/x/a');
const big: BigIntStats = await fsp.stat('/tmp/x/a', { bigint: true });
const size: bigint = big.size;
const again: string = readFileSync('/tmp/x/a', 'utf8');
const stream: ReadStream = createReadStream('/tmp/x/a');
const viaFs: Promise<string> = fs.promises.readFile('/tmp/x/a', 'utf8');
await rm('/tmp/x', { recursive: true, force: true });

const server: Server = createServer((socket: Socket) => { socket.pipe(socket); });
server.listen(0, '127.0.0.1');
const { port }: AddressInfo = server.address() as AddressInfo;
const client: Socket = connect({ port, host: '127.0.0.1' }, () => client.end('ping'));
client.setNoDelay(true).on('data', (chunk: Buffer) => void chunk.length);
const other: Server = net.createServer().listen({ port: 0, reusePort: false });
const isSocket: boolean = client instanceof Socket && new net.Socket() instanceof Socket;
const family: number = isIP('127.0.0.1');
server.close();
other.close();

const s: ShimStats = stats();
const backend: 'io_uring' | 'node' = s.backend;
const carried: number = s.ring['readFile'] ?? 0;
const opcodes: number[] = ringSetup().opcodes;

// @ts-expect-error readFile with an encoding yields a string, not a Buffer
const wrongType: Buffer = await readFile('/tmp/x/a', 'utf8');
// @ts-expect-error a path is required
await stat();
// @ts-expect-error fs.promises has no synchronous functions
fsp.readFileSync('/tmp/x/a');
// @ts-expect-error FileHandle.close takes no arguments
await handle.close(1);
// @ts-expect-error backend is 'io_uring' or 'node'
const wrongBackend: 'uring' = stats().backend;
// @ts-expect-error stats() takes no arguments
stats(1);
// @ts-expect-error connect needs a port, a path or options
connect();
// @ts-expect-error a socket's write takes data
client.write();
// @ts-expect-error address() may be a string or null, not only an AddressInfo
const wrongAddress: AddressInfo = server.address();

export { dir, text, bytes, bytesRead, buffer, st, size, again, stream, viaFs, backend, carried, opcodes, wrongType, wrongBackend, isSocket, family, wrongAddress };
