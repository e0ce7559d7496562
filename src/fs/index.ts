import * as nodeFs from 'node:fs';
import * as promises from './promises';
const fs: typeof nodeFs = { ...nodeFs, promises: promises as unknown as typeof nodeFs.promises };
export = fs;
