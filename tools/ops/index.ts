// Public surface of the ops tools (@platform/tools-ops): how a tool authenticates to the services,
// the registry of services `npm start` runs, and the CLIs' tables. The scripts (start, stop,
// status) are entry points, not exports.
export * from './credentials';
export * from './services';
export * from './table';
