import { assertTestDatabase, databaseUrl, dropDatabase, ensureDatabase } from '@platform/persistence';
import { testInfra, uniqueSuffix } from './env';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh database for one suite; the name always says "test" and the guard refuses others. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `test_${label.replace(/[^a-z0-9]/g, '_')}_${uniqueSuffix()}`;
  assertTestDatabase(name);
  const { databaseUrl: server } = testInfra();
  await ensureDatabase(server, name);
  return { name, url: databaseUrl(server, name), drop: () => dropDatabase(server, name) };
}
