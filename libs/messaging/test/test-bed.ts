// A spec's own world on the real infrastructure: a fresh test database and topic prefix, a
// collector on the topics the spec watches and a pg client for its assertions. Apps started on it
// and anything registered with defer() are taken down with it, last made first.
import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { PayloadOf, TopicKey, Topics } from '@platform/contracts';
import { createTestDatabase, createTestTopics, deleteTestTopics, TestDatabase, TopicCollector } from '@platform/testing';

export interface TestBedOptions {
  /** Canonical names of the topics the collector reads from the start. */
  collect?: string[];
}

export class TestBed {
  db!: TestDatabase;
  /** The test topics' prefix (a topic is `<prefix><canonical name>`). */
  prefix!: string;
  collector!: TopicCollector;
  pg!: Client;
  /** The app last started by startApp(), and its address when it serves HTTP. */
  app!: INestApplication;
  url = '';
  private readonly cleanups: (() => unknown)[] = [];
  private readonly running = new Set<INestApplication>();

  /** `label` names the database and the topic prefix. */
  static open(label: string, o: TestBedOptions = {}): Promise<TestBed> {
    return new TestBed().setUp(label, o);
  }

  /** Makes the bed; when a step fails, removes what was made and rethrows. */
  protected async setUp(label: string, o: TestBedOptions): Promise<this> {
    try {
      await this.create(label, o);
      return this;
    } catch (e) {
      await this.close().catch(() => undefined);
      throw e;
    }
  }

  protected async create(label: string, o: TestBedOptions): Promise<void> {
    this.db = await createTestDatabase(label);
    this.defer(() => this.db.drop());
    this.prefix = await createTestTopics(label);
    this.defer(() => deleteTestTopics(this.prefix));
    const collected = (o.collect ?? []).map((name) => this.prefix + name);
    this.collector = new TopicCollector(collected);
    // nothing to watch: no consumer (the collector stays empty)
    if (collected.length > 0) {
      await this.collector.start();
      this.defer(() => this.collector.stop());
    }
    this.pg = new Client({ connectionString: this.db.url });
    await this.pg.connect();
    this.defer(() => this.pg.end());
  }

  /** The physical name of a contract topic on this bed. */
  topic(key: TopicKey): string {
    return this.prefix + Topics[key].name;
  }

  /** Messages read so far from a canonical topic (e.g. a DLQ name) of this bed. */
  on(name: string): ReturnType<TopicCollector['on']> {
    return this.collector.on(this.prefix + name);
  }

  /** Payloads read so far from a contract topic, parsed. */
  read<K extends TopicKey>(topic: K): PayloadOf<K>[] {
    return this.on(Topics[topic].name).map((m) => m.json<PayloadOf<K>>());
  }

  /**
   * Starts an app made by `create`: serving HTTP on a free port (then `url` is its address) or only
   * initialised. It becomes `app` and is closed with the bed unless closed before.
   */
  async startApp(create: () => Promise<INestApplication>, o: { http?: boolean } = {}): Promise<INestApplication> {
    const app = await create();
    this.running.add(app);
    this.defer(() => this.closeApp(app));
    if (o.http) {
      await app.listen(0, '127.0.0.1');
      this.url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    } else {
      await app.init();
    }
    this.app = app;
    return app;
  }

  /** Closes an app this bed started (default: the last), once. */
  async closeApp(app: INestApplication = this.app): Promise<void> {
    if (this.running.delete(app)) await app.close();
  }

  /** Registers clean-up, run by close(). */
  defer(fn: () => unknown): void {
    this.cleanups.push(fn);
  }

  /** Runs the clean-ups last-registered first, each even if another failed. */
  async close(): Promise<void> {
    const errors: unknown[] = [];
    for (let fn = this.cleanups.pop(); fn; fn = this.cleanups.pop()) {
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} clean-up step(s) failed`);
  }
}
