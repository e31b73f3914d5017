// Public surface of the local-infrastructure tools (@platform/tools-infra), for tests, drills and ops scripts.
export * from './kafka';
export * from './kafka-security';
export * from './postgres';
export * from './postgres-roles';
export * from './processes';
export * from './zipkin';
export * from './topics';
export * from './state';
export * from './up';
export { ROOT, LOCAL_DIR, LOGS_DIR, PIDS_DIR, TEST_RESULTS_DIR, rel } from './paths';
export * from './zones';
