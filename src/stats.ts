// What the shim did in this JS environment: which backend, why not the ring (if so), which
// calls the ring carried and which Node served, and the ring's own counters.
// URING_SHIM_STATS=<file> writes this as JSON when the process exits (main thread only).
import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { delegatedCalls, ringCalls } from './counters';
import { addonPath, type KernelMemoryTally, type RingCounters } from './native';
import * as ring from './ring';

// The ring this JS environment got (or why it got none), for `uring-shim doctor` and for
// programs that log their setup.
export interface RingSetup {
  backend: 'io_uring' | 'node';
  fallbackReason: string | null;
  addonPath: string;
  addonLoaded: boolean;
  setupFlags: string[];
  opcodes: number[];
  buffersRegistered: boolean;
  buffersError: string | null;
}

export function ringSetup(): RingSetup {
  const info = ring.ringInfo;
  return {
    backend: ring.available ? 'io_uring' : 'node',
    fallbackReason: ring.fallbackReason,
    addonPath,
    addonLoaded: ring.addonLoaded,
    setupFlags: info ? info.setupFlags.trim().split(' ').filter(Boolean) : [],
    opcodes: info ? [...info.opcodes] : [],
    buffersRegistered: info?.arenaRegistered ?? false,
    buffersError: info && !info.arenaRegistered ? info.arenaError : null,
  };
}

export interface ShimStats extends RingCounters {
  backend: 'io_uring' | 'node';
  fallbackReason: string | null;
  setupFlags: string[];
  buffersRegistered: boolean;
  ring: Record<string, number>;
  delegated: Record<string, number>;
  // Process-wide, every environment's ring: what a Worker's ring still holds after the Worker
  // is gone shows here.
  kernelMemory: KernelMemoryTally;
}

export function stats(): ShimStats {
  const counters = ring.counters();
  const { backend, fallbackReason, setupFlags, buffersRegistered } = ringSetup();
  return {
    backend,
    fallbackReason,
    setupFlags,
    buffersRegistered,
    ring: { ...ringCalls },
    delegated: { ...delegatedCalls },
    kernelMemory: ring.kernelMemory(),
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
