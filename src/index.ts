export { stats, ringSetup, type ShimStats, type RingSetup } from './stats';
