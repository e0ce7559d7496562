// `uring-shim/fs`: Node's fs with `promises` replaced by the ring-backed one, and its streams.
import * as promises from './promises';
import { nodeFs } from './originals';
import { ReadStream, WriteStream, createReadStream, createWriteStream } from '../streams/streams';

const fs: typeof nodeFs = {
  ...nodeFs,
  promises: promises as unknown as typeof nodeFs.promises,
  ReadStream: ReadStream as unknown as typeof nodeFs.ReadStream,
  WriteStream: WriteStream as unknown as typeof nodeFs.WriteStream,
  createReadStream: createReadStream as typeof nodeFs.createReadStream,
  createWriteStream: createWriteStream as typeof nodeFs.createWriteStream,
};
Object.assign(fs, { FileReadStream: ReadStream, FileWriteStream: WriteStream });
export = fs;
