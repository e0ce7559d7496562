// `uring-shim/fs`: Node's fs with `promises` replaced by the ring-backed one.
import * as promises from './promises';
import { nodeFs } from './originals';

const fs: typeof nodeFs = { ...nodeFs, promises: promises as unknown as typeof nodeFs.promises };
export = fs;
