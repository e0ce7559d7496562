// npm tar packs and unpacks a tree under --require uring-shim/register; byte-for-byte identical.
import t from 'tap';
import { runApp, assertOnRing } from './helpers.mjs';

const { checks, stats } = runApp(t, 'tar');
// 36 files, 8 directories (dir0..3, and nested/deeper under two of them), 1 symlink.
t.same(checks, { entries: 36 + 8 + 1, identical: true }, 'every file, directory, mode and link survived the round trip');
assertOnRing(t, 'tar', stats);
