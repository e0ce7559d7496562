// `uring-shim/fs`: Node's fs with the callback functions that have ring operations behind them
// (see callback/index.ts) and `promises` replaced by the ring-backed ones.
import * as promises from './promises';
import { callbackApi } from './callback';
import { nodeFs } from './originals';

const fs: typeof nodeFs = { ...nodeFs, ...callbackApi, promises: promises as unknown as typeof nodeFs.promises };
export = fs;
