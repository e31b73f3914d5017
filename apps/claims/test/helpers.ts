// Test helpers for the claims service: a test bed with the service on it, in-process and serving
// HTTP, and the campaign definitions the specs make through its API.
import { INestApplication } from '@nestjs/common';
import { bearer } from '@platform/auth/testing';
import { CampaignDefinition } from '@platform/contracts';
import { TestBed, type TestBedOptions } from '@platform/messaging/testing';
import { testInfra } from '@platform/testing';
import { createClaimsApp } from '../src/app';
import { ClaimsConfig, loadClaimsConfig } from '../src/config';

/** A claims spec's bed (database, topics, collector, pg client); the service runs on it in-process. */
export class ClaimsTestBed extends TestBed {
  /** The config of the service last started. */
  config!: ClaimsConfig;

  static start(label: string, o: TestBedOptions = {}): Promise<ClaimsTestBed> {
    return new ClaimsTestBed().setUp(label, o);
  }

  /** Starts the service on the bed's database and topics with `over`, serving HTTP (`url`); it becomes `app`. */
  async startClaims(over: Record<string, string> = {}, opts: Parameters<typeof createClaimsApp>[1] = {}): Promise<INestApplication> {
    const { brokers, databaseUrl } = testInfra();
    const config = loadClaimsConfig({
      DATABASE_URL: databaseUrl,
      DB_NAME: this.db.name,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: this.prefix,
      LOG_LEVEL: 'warn',
      ...over,
    });
    const app = await this.startApp(() => createClaimsApp(config, opts), { http: true });
    this.config = config;
    return app;
  }

  /** Defines a campaign through POST /campaigns as ops (a subject of `ops` headers' choosing); expects 201. */
  async defineCampaign(campaign: CampaignDefinition, ops?: Record<string, string>): Promise<void> {
    const res = await fetch(`${this.url}/campaigns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(ops ?? (await bearer(this.config, 'ops'))) },
      body: JSON.stringify(campaign),
    });
    expect(res.status).toBe(201);
  }
}
