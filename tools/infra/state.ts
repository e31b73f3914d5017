// The contract between `infra:up` and everything that needs the infrastructure (services, tests,
// load generators, drills): one JSON file, plus the environment variables derived from it.
import fs from 'node:fs';
import path from 'node:path';
import { STATE_FILE } from './paths';

export type BrokersMode = 1 | 3;

export interface InfraState {
  kafkaBrokers: string[];
  databaseUrl: string;
  /** Zipkin span endpoint, or null when Zipkin was not started. */
  zipkinUrl: string | null;
  brokersMode: BrokersMode;
  embeddedPostgres: boolean;
  updatedAt?: string;
}

/** The state written by the last `infra:up`, or null when infra was never started (or is down). */
export function readInfraState(): InfraState | null {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as InfraState;
  } catch {
    return null;
  }
}

export function writeInfraState(state: InfraState): void {
  fs.mkdirSync(path.dirname(STATE_FILE), { recursive: true });
  const tmp = `${STATE_FILE}.${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2)}\n`);
  fs.renameSync(tmp, STATE_FILE); // atomic: readers never see half a file
}

export function clearInfraState(): void {
  fs.rmSync(STATE_FILE, { force: true });
}

/** Environment for child processes (services, jest): KAFKA_BROKERS, DATABASE_URL, ZIPKIN_URL. */
export function infraEnv(state: InfraState): Record<string, string> {
  const env: Record<string, string> = {
    KAFKA_BROKERS: state.kafkaBrokers.join(','),
    DATABASE_URL: state.databaseUrl,
  };
  if (state.zipkinUrl) env.ZIPKIN_URL = state.zipkinUrl;
  return env;
}

/** Brokers to talk to: KAFKA_BROKERS if set, else the infra state, else the default single broker. */
export function currentKafkaBrokers(): string[] {
  const fromEnv = process.env.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (fromEnv && fromEnv.length > 0) return fromEnv;
  return readInfraState()?.kafkaBrokers ?? ['127.0.0.1:9092'];
}
