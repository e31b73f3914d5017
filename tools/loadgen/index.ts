// Public surface of the load generator (@platform/tools-loadgen): campaigns, the claim mix, a
// stack of services as child processes and a spec's ground for it, load runs and their report,
// hostile messages, seeded randomness. Drills, benchmarks and the scale and browser specs build on these.
export * from './campaign';
export * from './hostile';
export * from './mix';
export * from './prng';
export * from './report';
export * from './run';
export * from './spec-ground';
export * from './stack';
