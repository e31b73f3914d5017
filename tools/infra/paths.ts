// Every on-disk location the local infrastructure uses, resolved from the repository root so the
// tools behave the same from any working directory (npm scripts, jest workers, CI).
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const LOCAL_DIR = path.join(ROOT, '.local');
export const LOGS_DIR = path.join(LOCAL_DIR, 'logs');
export const PIDS_DIR = path.join(LOCAL_DIR, 'pids');
export const LOCKS_DIR = path.join(LOCAL_DIR, 'locks');
export const STATE_FILE = path.join(LOCAL_DIR, 'infra.json');
export const TEST_RESULTS_DIR = path.join(LOCAL_DIR, 'test-results');

export const KAFKA_DEPLOY_DIR = path.join(ROOT, 'deploy', 'kafka');
export const KAFKA_LIBS_DIR = path.join(KAFKA_DEPLOY_DIR, 'libs');
export const KAFKA_LOG4J2_FILE = path.join(KAFKA_DEPLOY_DIR, 'log4j2.properties');
export const KAFKA_LOCAL_DIR = path.join(LOCAL_DIR, 'kafka');

export const ZIPKIN_DEPLOY_DIR = path.join(ROOT, 'deploy', 'zipkin');

export const POSTGRES_DATA_DIR = path.join(LOCAL_DIR, 'postgres');

/** Relative to the repository root, for messages. */
export function rel(p: string): string {
  return path.relative(ROOT, p) || '.';
}
