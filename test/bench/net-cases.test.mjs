// The net benchmark's cases as run.mjs runs them, briefly: each server under test echoes, the
// floors included (handle-echo.mjs on the shim's ring handles, ring-echo.c when it builds), and
// the server's CPU time per message is reported where the server has a CPU of its own; and
// net.js alone (netjs-alone.mjs), whose cost the ceiling is figured from.
import t from 'tap';
import { netjsAlone, PINNED, serverArgv, serverCase } from '../../bench/net/lib.mjs';

const ring = await import('../../dist/cjs/ring.js');
const ringSockets = ring.available && ring.receiveBuffers() !== null;

for (const impl of ['node', 'shim', 'handles', 'ring']) {
  t.test(`${impl}: echoes, with its CPU per message`, { skip: skipReason(impl) }, async (t) => {
    const result = await serverCase(impl, 'echo', [4, 64, 0.3]);
    // (Under tap other tests share the server's CPU. A ring server there once answered 96
    // messages in 0.3 s, with 1,811 µs of user time each: it slept through its peers' bytes
    // until the doorbell, docs/ARCHITECTURE.md.)
    t.ok(result.ops > 100, 'messages were echoed', result);
    if (!PINNED) return;
    const { user, kernel, busy } = result.cpu;
    t.ok(user >= 0 && kernel > 0 && user + kernel < 1000, 'user and kernel µs per message are plausible', result.cpu);
    t.ok(busy > 0 && busy <= 1, 'busy is a fraction of the CPU', result.cpu);
  });
}

t.test('a warm-up runs the same load first, and only the timed run is reported', async (t) => {
  const started = performance.now();
  const result = await serverCase('node', 'http', [4, 0.3], { warmup: 0.6 });
  const elapsed = (performance.now() - started) / 1000;
  t.ok(result.ops > 0 && result.p99 > 0, 'requests were answered', result);
  t.ok(elapsed >= 0.9, 'the warm-up ran before the timed run', { elapsed });
  const seconds = result.ops / result.rate;
  t.ok(seconds > 0.25 && seconds < 0.45, 'the result is the 0.3 s run, not the 0.6 s warm-up', { seconds });
});

t.test('net.js alone: every message is echoed through net.Socket, and its CPU per message is plausible', async (t) => {
  for (const size of [64, 16384]) {
    const result = netjsAlone(size, 20_000);
    t.ok(result.messages >= 20_000, `${size} B: the timed run reached its count`, result);
    t.equal(result.echoed, result.messages * size, `${size} B: each message came back whole`);
    t.ok(result.microseconds > 0 && result.microseconds < 1000, `${size} B: µs per message is plausible`, result);
  }
});

function skipReason(impl) {
  if (impl === 'handles' && !ringSockets) return `no ring sockets here: ${ring.fallbackReason ?? 'no provided-buffer receive'}`;
  if (impl === 'ring' && serverArgv('ring', 'echo') === null) return 'ring-echo.c does not build here (no cc or liburing headers)';
  return false;
}
