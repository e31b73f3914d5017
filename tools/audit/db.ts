// Connections to the services' databases for the audit. A database that does not exist (service
// never ran) or lacks a table is reported, not an error: the checks that need it are skipped.
import { Client } from 'pg';
import { databaseUrl } from '@platform/persistence';

export const SERVICE_DATABASES = {
  claims: 'campaign_claims',
  emoticons: 'campaign_emoticons',
  coupons: 'campaign_coupons',
  passes: 'campaign_passes',
  relief: 'campaign_relief',
} as const;
export type ServiceDb = keyof typeof SERVICE_DATABASES;
export const SERVICE_DB_KEYS = Object.keys(SERVICE_DATABASES) as ServiceDb[];
/** The app whose database each one is (apps/<app>). */
export const SERVICE_APPS = {
  claims: 'claims',
  emoticons: 'emoticons',
  coupons: 'coupons',
  passes: 'pass-dispatcher',
  relief: 'merchant-relief',
} as const satisfies Record<ServiceDb, string>;

/** One service database: a dedicated connection, or the reason there is none. */
export class AuditDb {
  private tables: Set<string> | null = null;

  constructor(
    readonly service: ServiceDb,
    readonly name: string,
    readonly client: Client | null,
    readonly missing: string | null,
  ) {}

  get available(): boolean {
    return this.client !== null;
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (!this.client) throw new Error(`database ${this.name} is not available: ${this.missing ?? 'unknown'}`);
    const r = await this.client.query(sql, params);
    return r.rows as T[];
  }

  async one<T>(sql: string, params: unknown[] = []): Promise<T> {
    const [row] = await this.query<T>(sql, params);
    if (!row) throw new Error(`no row from ${sql.slice(0, 80)}`);
    return row;
  }

  /** Whether every table exists (public schema). */
  async has(...tables: string[]): Promise<boolean> {
    if (!this.client) return false;
    if (!this.tables) {
      const rows = await this.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'`);
      this.tables = new Set(rows.map((r) => r.t));
    }
    const known = this.tables;
    return tables.every((t) => known.has(t));
  }

  /** Why a check that needs these tables cannot run here, or null when it can. */
  async why(...tables: string[]): Promise<string | null> {
    if (!this.client) return `${this.service} database ${this.name}: ${this.missing ?? 'unavailable'}`;
    if (!(await this.has(...tables))) return `${this.service} database ${this.name} lacks ${tables.join(', ')}`;
    return null;
  }
}

export class AuditDatabases {
  constructor(readonly dbs: Record<ServiceDb, AuditDb>) {}

  get(s: ServiceDb): AuditDb {
    return this.dbs[s];
  }

  static async connect(serverUrl: string, names: Partial<Record<ServiceDb, string>> = {}): Promise<AuditDatabases> {
    const entries = await Promise.all(
      SERVICE_DB_KEYS.map(async (s): Promise<[ServiceDb, AuditDb]> => {
        const name = names[s] ?? SERVICE_DATABASES[s];
        const client = new Client({ connectionString: databaseUrl(serverUrl, name), application_name: 'audit' });
        try {
          await client.connect();
          return [s, new AuditDb(s, name, client, null)];
        } catch (e) {
          await client.end().catch(() => undefined);
          const code = (e as { code?: string }).code;
          if (code === '3D000') return [s, new AuditDb(s, name, null, 'database does not exist')];
          throw e;
        }
      }),
    );
    return new AuditDatabases(Object.fromEntries(entries) as Record<ServiceDb, AuditDb>);
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.dbs).map((d) => d.client?.end().catch(() => undefined)));
  }
}

/** `campaign_id = $n` when a campaign is given, else a tautology; keeps every query one statement. */
export function campaignFilter(column: string, param: number): string {
  return `($${param}::text IS NULL OR ${column} = $${param}::text)`;
}
