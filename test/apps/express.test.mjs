// express static site under --require uring-shim/register, fetched with undici.
import t from 'tap';
import { runApp, assertOnRing } from './helpers.mjs';

const { checks, stats } = runApp(t, 'express');
t.same(checks, {
  index: true, whole: true, range: true, suffixRange: true, unsatisfiable: true, notFound: true, parallel: true, json: true,
}, 'bytes, ranges, 404/416 and the JSON route are right');
assertOnRing(t, 'express', stats);
