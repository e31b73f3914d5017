import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { PayloadOf, Topics } from '@platform/contracts';
import { ManualClock } from '@platform/messaging';
import { settle } from '@platform/messaging/testing';
import { createTestDatabase, createTestTopics, TestDatabase, TopicCollector, waitFor } from '@platform/testing';
import { createEmoticonsApp } from '../src/app';
import { EmoticonsConfig } from '../src/config';
import { ExpirySweep } from '../src/entitlements/expiry.sweep';
import { acceptedDecision, download, Feeder, HEART_PACK_REWARDS, testConfig } from './helpers';

jest.setTimeout(60_000);

type Reminder = PayloadOf<'entitlementExpiringSoon'>;
const DAY = 86_400_000;
const LEAD_S = 5;
const T0 = new Date('2023-01-10T03:00:00Z');

describe('emoticons: expiry reminders (issue 19; real Kafka + Postgres)', () => {
  const clock = new ManualClock(T0);
  let db: TestDatabase;
  let config: EmoticonsConfig;
  let app: INestApplication;
  let feeder: Feeder;
  let collector: TopicCollector;
  let pg: Client;
  const topic = () => config.KAFKA_TOPIC_PREFIX + Topics.entitlementExpiringSoon.name;
  const reminders = (): Reminder[] => collector.on(topic()).map((m) => m.json<Reminder>());
  // the shortest validity packs allow (whole days) and a seconds-scale lead; the permanent pack
  // carries a lead too, to show it is never reminded
  const rewards = {
    ...HEART_PACK_REWARDS,
    emoticons: HEART_PACK_REWARDS.emoticons.map((e) => ({
      ...e,
      validityDays: e.validityDays === null ? null : 1,
      remindBeforeExpirySeconds: LEAD_S,
    })),
  };
  const end = T0.getTime() + DAY; // of packs first downloaded at T0
  const startApp = async (): Promise<INestApplication> => {
    const a = await createEmoticonsApp(config, { clock });
    await a.init();
    return a;
  };

  beforeAll(async () => {
    db = await createTestDatabase('emoticons_remind');
    const prefix = await createTestTopics('emoticons-remind');
    config = testConfig(db, prefix);
    app = await startApp();
    feeder = new Feeder(prefix);
    collector = await new TopicCollector([prefix + Topics.entitlementExpiringSoon.name]).start();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    await feeder.send('claimDecided', [
      acceptedDecision('r-1', { rewards }),
      acceptedDecision('r-2', { rewards }), // never downloads: its clocks never start, no reminder
      acceptedDecision('r-3', { rewards: HEART_PACK_REWARDS }), // the 2023 lead (7 days)
    ]);
    await waitFor('9 grants', async () => (await pg.query(`SELECT 1 FROM entitlement`)).rowCount === 9);
    await feeder.send(
      'emoticonDownloaded',
      ['choonsik-friends-2', 'tosimi-tomungi', 'broken-bear'].flatMap((p) => [
        download(`d1-${p}`, 'r-1', p, T0),
        download(`d3-${p}`, 'r-3', p, T0),
      ]),
    );
    await waitFor(
      '6 first downloads',
      async () => (await pg.query(`SELECT 1 FROM entitlement WHERE first_downloaded_at IS NOT NULL`)).rowCount === 6,
    );
  });

  afterAll(async () => {
    await collector?.stop();
    await feeder?.close();
    await app?.close();
    await pg?.end();
    await db?.drop();
  });

  it('reminds each running time-limited pack once, lead seconds before expiresAt; never a permanent or unstarted pack', async () => {
    const sweeper = app.get(ExpirySweep);
    clock.set(new Date(end - LEAD_S * 1000 - 1));
    expect(await sweeper.remindOnce()).toBe(0);
    clock.set(new Date(end - LEAD_S * 1000));
    // two sweeps at once (as two replicas would): between them, each due pack once
    const [a, b] = await Promise.all([sweeper.remindOnce(), sweeper.remindOnce()]);
    expect(a + b).toBe(2);
    expect(await sweeper.remindOnce()).toBe(0);
    await settle(app, collector, [topic()]);
    expect(
      reminders()
        .map((r) => `${r.accountId}/${r.emoticonId}`)
        .sort(),
    ).toEqual(['r-1/broken-bear', 'r-1/tosimi-tomungi']);
    expect(reminders().find((r) => r.emoticonId === 'broken-bear')).toMatchObject({
      accountId: 'r-1',
      campaignId: 'kakao-2023-heart-pack',
      expiresAt: new Date(end).toISOString(),
      remindedAt: new Date(end - LEAD_S * 1000).toISOString(),
    });
  });

  it('never twice: after a restart, and after the pack expired, nothing more', async () => {
    await app.close();
    app = await startApp();
    const sweeper = app.get(ExpirySweep);
    clock.set(new Date(end - 1));
    expect(await sweeper.remindOnce()).toBe(0);
    clock.set(new Date(end));
    expect(await sweeper.sweepOnce()).toBe(2);
    expect(await sweeper.remindOnce()).toBe(0);
    // r-3's 90-day packs: due 7 days before their end, reminded then, once
    const end3 = T0.getTime() + 90 * DAY;
    clock.set(new Date(end3 - 7 * DAY));
    expect(await sweeper.remindOnce()).toBe(2);
    expect(await sweeper.remindOnce()).toBe(0);
    await settle(app, collector, [topic()]);
    expect(reminders()).toHaveLength(4);
    expect(new Set(reminders().map((r) => r.entitlementId)).size).toBe(4);
    expect(reminders().some((r) => r.accountId === 'r-2' || r.emoticonId === 'choonsik-friends-2')).toBe(false);
  });
});
