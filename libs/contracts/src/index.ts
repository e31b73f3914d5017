export * from './primitives';
export * from './inbound';
export * from './outbound';
export * from './campaign';
export * from './topics';
export * from './codec';
export * from './asyncapi';
export * from './headers';
