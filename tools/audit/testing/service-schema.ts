// Test support: builds a service's schema in a test database by running the service's own
// migrations as code: the migration list its Nest module exports (the shared messaging and ops
// audit tables included), applied through TypeORM with migrate() of @platform/persistence, as
// the service does at boot. So the schema is what the migrations do, seeds and statements built
// at run time included.
//
// Tools may not import apps (module boundaries: tools depend on libs and tools only), so the
// module is loaded by its path at run time, like the services' own entry points are started by
// path; no tool code depends on an app at compile time.
import fs from 'node:fs';
import path from 'node:path';
import { DataSource, type MigrationInterface } from 'typeorm';
import { migrate, serviceDataSourceOptions } from '@platform/persistence';

const ROOT = path.resolve(__dirname, '../../..');

export type MigrationClass = new () => MigrationInterface;

const isMigrationClass = (v: unknown): v is MigrationClass =>
  typeof v === 'function' && typeof (v.prototype as Partial<MigrationInterface> | undefined)?.up === 'function';

/**
 * The migrations the app runs at boot: the one export of its apps/<app>/src/*.module.ts that is a
 * list of migration classes (e.g. claimsMigrations), in the module's order.
 */
export async function serviceMigrations(app: string): Promise<MigrationClass[]> {
  const src = path.join(ROOT, 'apps', app, 'src');
  const found: { name: string; migrations: MigrationClass[] }[] = [];
  for (const file of fs.readdirSync(src).filter((f) => f.endsWith('.module.ts'))) {
    const exported = (await import(path.join(src, file))) as Record<string, unknown>;
    for (const [name, v] of Object.entries(exported)) {
      if (Array.isArray(v) && v.length > 0 && v.every(isMigrationClass)) found.push({ name: `${file}: ${name}`, migrations: v });
    }
  }
  const [only, ...more] = found;
  if (!only || more.length > 0)
    throw new Error(
      `expected one migration list exported by apps/${app}/src/*.module.ts, found ${found.map((f) => f.name).join(', ') || 'none'}`,
    );
  return only.migrations;
}

/** Runs the app's migrations in the (empty) database at `url`; returns the names of those that ran. */
export async function applyServiceSchema(url: string, app: string): Promise<string[]> {
  const ds = new DataSource(
    serviceDataSourceOptions({ url, migrations: await serviceMigrations(app), poolSize: 2, applicationName: 'audit-schema' }),
  );
  await ds.initialize();
  try {
    return await migrate(ds);
  } finally {
    await ds.destroy();
  }
}
