export const CHANNEL_SIM_CONFIG = Symbol('CHANNEL_SIM_CONFIG');
/** Monotonic milliseconds (performance.now by default; tests may inject their own). */
export const MONOTONIC_MS = Symbol('MONOTONIC_MS');
export type MonotonicMs = () => number;
