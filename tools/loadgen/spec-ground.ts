// What a spec that runs services as child processes stands on: its own topic prefix and its own
// database per service, named after the spec, so specs sharing one Kafka and one Postgres never
// see each other's data; the audit of what ran there; and its removal afterwards. For the
// end-to-end, fault and browser specs, which start their stacks on it.
import { dropDatabase, ensureDatabase } from '@platform/persistence';
import { createTestTopics, deleteTestTopics, testInfra, uniqueSuffix } from '@platform/testing';
import { runAudit, SERVICE_APPS, SERVICE_DB_KEYS, type AuditReport, type ServiceDb } from '@platform/tools-audit';
import type { ServiceName, StackOptions } from './stack';

/** startStack's options but those the ground sets. */
export type StackExtras = Omit<StackOptions, 'services' | 'brokers' | 'databaseUrl' | 'prefix' | 'databases' | 'groupSuffix'>;

export type AuditCheck = AuditReport['checks'][number];

export class SpecGround {
  readonly label: string;
  readonly brokers: string[];
  readonly databaseUrl: string;
  /** Unique to this run: in the database names and the pass dispatcher's consumer group. */
  readonly suffix: string;
  /** One database per service but the channel simulator (it keeps no data). */
  readonly databases: Partial<Record<ServiceName, string>>;
  /** The topic prefix, once create() made the topics. */
  prefix = '';

  constructor(label: string, services: readonly ServiceName[], infra = testInfra()) {
    this.label = label;
    this.brokers = infra.brokers;
    this.databaseUrl = infra.databaseUrl;
    this.suffix = uniqueSuffix();
    this.databases = Object.fromEntries(services.filter((s) => s !== 'talk-channel-sim').map((s) => [s, this.databaseName(s)]));
  }

  /** `test_<label>_<what>_<suffix>`: a database of this ground (or one a spec means not to exist). */
  databaseName(what: string): string {
    return `test_${this.label}_${what}_${this.suffix}`.replace(/-/g, '_');
  }

  /** The database of a service of the ground. */
  database(service: ServiceName): string {
    const name = this.databases[service];
    if (!name) throw new Error(`${service} has no database on the ${this.label} ground`);
    return name;
  }

  /** Makes the topics (every planned one, under a fresh prefix) and the databases. */
  async create(): Promise<this> {
    this.prefix = await createTestTopics(this.label, this.brokers);
    for (const d of Object.values(this.databases)) if (d) await ensureDatabase(this.databaseUrl, d);
    return this;
  }

  /** startStack's options for these services on this ground. */
  stackOptions(services: readonly ServiceName[], extras: StackExtras = {}): StackOptions {
    return {
      ...extras,
      services,
      brokers: this.brokers,
      databaseUrl: this.databaseUrl,
      prefix: this.prefix,
      databases: this.databases,
      groupSuffix: this.suffix,
    };
  }

  /**
   * The audit of what ran here, with the topic scan: throws naming every failed check, else returns
   * the checks by id. A service that did not run here is audited on a database that does not exist.
   */
  async audit(o: { channelUrl: string | null; only?: string[] }): Promise<Record<string, AuditCheck>> {
    const databases = Object.fromEntries(
      SERVICE_DB_KEYS.map((k) => [k, this.databases[SERVICE_APPS[k]] ?? this.databaseName(`missing_${k}`)]),
    ) as Record<ServiceDb, string>;
    const report = await runAudit({
      databaseUrl: this.databaseUrl,
      databases,
      brokers: this.brokers,
      prefix: this.prefix,
      topics: true,
      channelUrl: o.channelUrl,
      outboxMaxAgeSeconds: 60,
      ...(o.only ? { only: o.only } : {}),
    });
    const failed = report.checks.filter((c) => !c.ok);
    if (failed.length) throw new Error(`audit failed: ${JSON.stringify(failed, null, 2)}`);
    return Object.fromEntries(report.checks.map((c) => [c.id, c]));
  }

  /** Drops the databases and deletes the topics (what is already gone is no error). */
  async drop(): Promise<void> {
    for (const d of Object.values(this.databases)) if (d) await dropDatabase(this.databaseUrl, d).catch(() => undefined);
    if (this.prefix) await deleteTestTopics(this.prefix, this.brokers).catch(() => undefined);
  }
}
