// What the shim did in this JS environment: which backend, why not the ring (if so), which
// calls the ring carried and which Node served, and the ring's own counters.
// URING_SHIM_STATS=<file> writes this as JSON when the process exits (main thread only).
import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { delegatedCalls, ringCalls } from './counters';
import * as ring from './ring';
import type { RingCounters } from './native';

export interface ShimStats extends RingCounters {
  backend: 'io_uring' | 'node';
  fallbackReason: string | null;
  setupFlags: string[];
  buffersRegistered: boolean;
  ring: Record<string, number>;
  delegated: Record<string, number>;
}

export function stats(): ShimStats {
  const counters = ring.counters();
  return {
    backend: ring.available ? 'io_uring' : 'node',
    fallbackReason: ring.fallbackReason,
    setupFlags: ring.ringInfo ? ring.ringInfo.setupFlags.trim().split(' ').filter(Boolean) : [],
    buffersRegistered: ring.ringInfo?.arenaRegistered ?? false,
    ring: { ...ringCalls },
    delegated: { ...delegatedCalls },
    ...counters,
  };
}

const statsFile = process.env.URING_SHIM_STATS;
if (statsFile && isMainThread) {
  process.on('exit', () => {
    try {
      writeFileSync(statsFile, `${JSON.stringify(stats())}\n`);
    } catch {
      // Reporting must never change how the process ends.
    }
  });
}
