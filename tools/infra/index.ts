// Public surface of the local-infrastructure tools, for tests, drills and ops scripts.
export * from './kafka';
export * from './kafka-security';
export * from './postgres';
export * from './postgres-roles';
export * from './zipkin';
export * from './topics';
export * from './state';
export * from './up';
export { ROOT, LOCAL_DIR, LOGS_DIR, PIDS_DIR } from './paths';
export * from './zones';
