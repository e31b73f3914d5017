// Test support: builds a service's schema in a test database from the service's own migration
// files. Tools may not import apps (module boundaries), so the SQL is read from
// apps/<service>/src/migrations/*.ts as text: every template literal passed to q.query(...) inside
// up(), in file order. The shared messaging tables come from @platform/messaging's migration class.
// Statements built at run time (e.g. the claims seed campaign) are not literals and are skipped.
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { messagingMigrations } from '@platform/messaging';

const ROOT = path.resolve(__dirname, '../../..');

export const SERVICE_APPS = {
  claims: 'claims',
  emoticons: 'emoticons',
  coupons: 'coupons',
  passes: 'pass-dispatcher',
  relief: 'merchant-relief',
} as const;

/** The DDL literals of one migration file's up() method. */
export function upStatements(source: string): string[] {
  const start = source.search(/async up\s*\(/);
  const end = source.search(/async down\s*\(/);
  if (start < 0) return [];
  const body = source.slice(start, end > start ? end : undefined);
  const out: string[] = [];
  for (const m of body.matchAll(/q\.query\(\s*`([\s\S]*?)`/g)) {
    const sql = m[1] ?? '';
    if (sql.includes('${')) throw new Error(`migration statement with interpolation cannot be replayed as text: ${sql.slice(0, 80)}`);
    out.push(sql);
  }
  return out;
}

export function migrationFiles(app: string): string[] {
  const dir = path.join(ROOT, 'apps', app, 'src', 'migrations');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d+-.+\.ts$/.test(f) && !f.endsWith('.spec.ts'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Creates the messaging tables and the service's own tables; returns how many statements ran. */
export async function applyServiceSchema(url: string, app: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const runner = { query: (sql: string, params?: unknown[]) => client.query(sql, params) };
    for (const M of messagingMigrations) await new M().up(runner as never);
    let n = 0;
    for (const f of migrationFiles(app)) {
      for (const sql of upStatements(fs.readFileSync(f, 'utf8'))) {
        await client.query(sql);
        n++;
      }
    }
    return n;
  } finally {
    await client.end();
  }
}
