// fastify JSON API under a short autocannon run, under --require uring-shim/register.
import t from 'tap';
import { runApp, assertOnRing } from './helpers.mjs';

const { checks, stats } = runApp(t, 'fastify');
t.same(checks, { requests: true, errors: 0, timeouts: 0, non2xx: 0, body: { id: 5, name: 'item 5', tags: ['a', 'b'], served: true } },
  'requests served, zero errors, timeouts and non-2xx, and the JSON is right');
assertOnRing(t, 'fastify', stats);
