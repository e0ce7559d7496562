// The fs.promises unit tests with the addon built with ASan + UBSan: zero reports.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { underAsan } from '../helpers/asan.mjs';
import { ROOT } from '../helpers/refused.mjs';

const dir = 'test/fs-promises';
underAsan(t, fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith('.test.mjs')).map((f) => `${dir}/${f}`));
