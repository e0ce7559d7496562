// ws echo (text and binary) with a message log, under --require uring-shim/register.
import t from 'tap';
import { runApp, assertOnRing } from './helpers.mjs';

const { checks, stats } = runApp(t, 'ws');
t.same(checks, { echoes: true, log: true }, 'every message echoed in order, and logged');
assertOnRing(t, 'ws', stats);
