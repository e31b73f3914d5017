import { randomBytes } from 'node:crypto';

/** Where the test infrastructure is (set by `npm test` from the infra state; defaults for local runs). */
export function testInfra(): { brokers: string[]; databaseUrl: string } {
  return {
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  };
}

/** A short unique suffix for test databases, topic prefixes and consumer groups. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}
