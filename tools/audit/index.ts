// Public surface of the invariant audit (@platform/tools-audit), for the drills, benchmarks and
// end-to-end specs that end with an audit. The service schemas for a scratch audit database are
// a test harness: @platform/tools-audit/testing.
export * from './audit';
export * from './db';
