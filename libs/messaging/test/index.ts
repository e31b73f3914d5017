// Test support of the messaging library (a minimal service and a claim feeder), for the library's
// own tests, the DLQ CLI test and the messaging benchmark: `@platform/messaging/testing`.
export * from './fixture-app';
export * from './helpers';
export * from './service-harness';
export * from './test-bed';
