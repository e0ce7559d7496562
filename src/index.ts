export { stats, type ShimStats } from './stats';
