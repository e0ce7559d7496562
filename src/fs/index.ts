// `uring-shim/fs`: Node's fs with the callback functions that have ring operations behind them
// (see callback/index.ts), its streams, and `promises` replaced by the ring-backed ones.
import * as promises from './promises';
import { callbackApi } from './callback';
import { nodeFs } from './originals';
import { ReadStream, WriteStream, createReadStream, createWriteStream } from '../streams/streams';

const fs: typeof nodeFs = {
  ...nodeFs,
  ...callbackApi,
  promises: promises as unknown as typeof nodeFs.promises,
  ReadStream: ReadStream as unknown as typeof nodeFs.ReadStream,
  WriteStream: WriteStream as unknown as typeof nodeFs.WriteStream,
  createReadStream: createReadStream as typeof nodeFs.createReadStream,
  createWriteStream: createWriteStream as typeof nodeFs.createWriteStream,
};
Object.assign(fs, { FileReadStream: ReadStream, FileWriteStream: WriteStream });
export = fs;
