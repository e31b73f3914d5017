// The audit on real Postgres: five test databases built by running the services' own migrations
// (the lists their modules run at boot, see testing/service-schema.ts), filled with consistent data
// so that every check passes, then corrupted one way at a time, each corruption failing exactly the
// matching check.
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase, spawnTs, TestDatabase, testInfra } from '@platform/testing';
import { runAudit, RunAuditOptions } from './audit';
import { ServiceDb, SERVICE_APPS, SERVICE_DB_KEYS } from './db';
import { applyServiceSchema } from './testing/service-schema';
import { authSecret, verifyToken } from '@platform/auth';
import { toolAuthSettings } from '@platform/tools-ops';

const HOUR = 3_600_000;
const CAMPAIGN = 'audit-test-campaign';
const CAP = 5;
const EMOTICONS = [
  { emoticonId: 'choonsik-friends-2', name: 'Choonsik is Friends 2', validityDays: null },
  { emoticonId: 'tosimi-tomungi', name: 'Tosimi and Tomungi', validityDays: 90 },
  { emoticonId: 'broken-bear', name: 'Broken Bear', validityDays: 90 },
];
const DEFINITION = {
  campaignId: CAMPAIGN,
  name: 'audit test',
  opensAt: new Date(Date.now() - 10 * 24 * HOUR).toISOString(),
  closesAt: new Date(Date.now() + 10 * 24 * HOUR).toISOString(),
  rewards: {
    emoticons: EMOTICONS,
    coupons: { membersOnly: true, amountsWon: [2000, 3000], validityDays: 30, minPaidWon: 100 },
    pass: {
      cap: CAP,
      delayNoticeAfterSeconds: 72 * 3600,
      registrationWindowSeconds: 30 * 86400,
      validitySeconds: 30 * 86400,
      storageGb: 100,
    },
  },
  relief: null,
};

interface Accepted {
  claimId: string;
  eventId: string;
  accountId: string;
  makers: boolean;
  claimedAt: Date;
}

describe('audit (real Postgres)', () => {
  const dbs = {} as Record<ServiceDb, TestDatabase>;
  const clients = {} as Record<ServiceDb, Client>;
  let accepted: Accepted[] = [];
  let channel: http.Server;
  let channelUrl = '';
  let deliveries: { sequence: number; passId: string; campaignId: string; slot: number }[] = [];

  const audit = (over: Partial<RunAuditOptions> = {}) =>
    runAudit({
      databaseUrl: testInfra().databaseUrl,
      databases: Object.fromEntries(SERVICE_DB_KEYS.map((s) => [s, dbs[s].name])),
      brokers: testInfra().brokers,
      prefix: `audit-test-${randomUUID()}.`,
      channelUrl,
      strict: true,
      ...over,
    });

  const failed = async (over: Partial<RunAuditOptions> = {}): Promise<string[]> => {
    const r = await audit(over);
    return r.checks.filter((c) => !c.ok).map((c) => c.id);
  };

  /** Consistent state: 8 accepted claims (5 passes, 3 SOLD_OUT), rejections, grants, 3 passes sent. */
  async function fill(): Promise<void> {
    // (relief stays empty: its payout ledger refuses TRUNCATE by design)
    for (const s of SERVICE_DB_KEYS.filter((x) => x !== 'relief')) {
      const tables = (
        await clients[s].query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`)
      ).rows as { tablename: string }[];
      if (tables.length) await clients[s].query(`TRUNCATE ${tables.map((t) => `"${t.tablename}"`).join(', ')} CASCADE`);
    }
    const c = clients.claims;
    await c.query(`INSERT INTO campaign (campaign_id, definition, opens_at, closes_at) VALUES ($1, $2, $3, $4)`, [
      CAMPAIGN,
      JSON.stringify(DEFINITION),
      DEFINITION.opensAt,
      DEFINITION.closesAt,
    ]);
    const now = Date.now();
    accepted = Array.from({ length: 8 }, (_, i) => ({
      claimId: randomUUID(),
      eventId: `ev-${i}`,
      accountId: `acct-${i}`,
      makers: i % 2 === 0,
      // the first three claims are old: their passes were delivered after the 72 h threshold
      claimedAt: new Date(now - (i < 3 ? 4 * 24 * HOUR : HOUR) + i * 1000),
    }));
    const claimRow = (
      a: { claimId: string; eventId: string; accountId: string; makers: boolean; claimedAt: Date },
      status: string,
      reason: string | null,
    ) =>
      c.query(
        `INSERT INTO claim (claim_id, event_id, campaign_id, account_id, status, reason, talk_linked, makers_member, requested_at, produced_at, decided_at)
         VALUES ($1, $2, $3, $4, $5, $6, true, $7, $8, $8, now())`,
        [a.claimId, a.eventId, CAMPAIGN, a.accountId, status, reason, a.makers, a.claimedAt],
      );
    for (const a of accepted) await claimRow(a, 'ACCEPTED', null);
    await claimRow(
      { claimId: randomUUID(), eventId: 'ev-dup', accountId: 'acct-0', makers: true, claimedAt: new Date() },
      'REJECTED',
      'DUPLICATE',
    );
    await claimRow(
      { claimId: randomUUID(), eventId: 'ev-overseas', accountId: 'acct-x', makers: false, claimedAt: new Date() },
      'REJECTED',
      'OVERSEAS_NUMBER',
    );

    for (const a of accepted) {
      for (const [pos, e] of EMOTICONS.entries()) {
        await clients.emoticons.query(
          `INSERT INTO entitlement (entitlement_id, claim_id, claim_event_id, campaign_id, account_id, emoticon_id, name, position, validity_days, state, granted_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'GRANTED', now())`,
          [`${a.claimId}:${e.emoticonId}`, a.claimId, a.eventId, CAMPAIGN, a.accountId, e.emoticonId, e.name, pos, e.validityDays],
        );
      }
      if (!a.makers) continue;
      for (const [idx, amount] of [2000, 3000].entries()) {
        await clients.coupons.query(
          `INSERT INTO coupon (coupon_id, claim_id, claim_event_id, campaign_id, account_id, idx, amount_won, min_paid_won, issued_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 100, now(), now() + interval '30 days')`,
          [`${a.claimId}:${idx}`, a.claimId, a.eventId, CAMPAIGN, a.accountId, idx, amount],
        );
      }
    }

    const p = clients.passes;
    await p.query(
      `INSERT INTO pass_campaign (campaign_id, cap, reserved, sold_out, delay_notice_after_seconds, registration_window_seconds, validity_seconds, storage_gb, sent_watermark, progress_at)
       VALUES ($1, $2, $2, 3, 259200, 2592000, 2592000, 100, 3, now())`,
      [CAMPAIGN, CAP],
    );
    deliveries = [];
    for (const [i, a] of accepted.entries()) {
      const slot = i + 1;
      if (slot > CAP) {
        await p.query(
          `INSERT INTO pass_sold_out (claim_id, campaign_id, account_id, event_id, decided_at) VALUES ($1, $2, $3, $4, now())`,
          [a.claimId, CAMPAIGN, a.accountId, a.eventId],
        );
        continue;
      }
      const deadline = new Date(a.claimedAt.getTime() + 72 * HOUR);
      const sent = slot <= 3;
      // slot 1 was delivered before its deadline; slots 2 and 3 after it, each noticed 2 h before the deadline
      const sentAt = !sent ? null : slot === 1 ? new Date(deadline.getTime() - 60_000) : new Date(deadline.getTime() + slot * HOUR);
      const noticeAt = slot === 2 || slot === 3 ? new Date(deadline.getTime() - 2 * HOUR) : null;
      const passId = randomUUID();
      await p.query(
        `INSERT INTO pass (pass_id, campaign_id, slot, claim_id, event_id, account_id, claimed_at, reserved_at, notice_deadline, sent_at, register_by, notice_at, notice_eta, notice_trigger)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12, $13)`,
        [
          passId,
          CAMPAIGN,
          slot,
          a.claimId,
          a.eventId,
          a.accountId,
          a.claimedAt,
          deadline,
          sentAt,
          sentAt && new Date(sentAt.getTime() + 30 * 24 * HOUR),
          noticeAt,
          noticeAt && sentAt,
          noticeAt && 'ESTIMATE',
        ],
      );
      if (sent) deliveries.push({ sequence: deliveries.length + 1, passId, campaignId: CAMPAIGN, slot });
    }
  }

  beforeAll(async () => {
    for (const s of SERVICE_DB_KEYS) {
      dbs[s] = await createTestDatabase(`audit_${s}`);
      await applyServiceSchema(dbs[s].url, SERVICE_APPS[s]);
      clients[s] = new Client({ connectionString: dbs[s].url });
      await clients[s].connect();
    }
    const key = authSecret(toolAuthSettings());
    channel = http.createServer(async (req, res) => {
      // like the simulator: the delivery record is for reader/ops only (the CLI child mints its own token)
      const principal = await verifyToken(key, (req.headers.authorization ?? '').replace(/^Bearer /, '')).catch(() => null);
      if (!principal?.roles.includes('reader')) {
        res.statusCode = 401;
        res.end('{"error":"MISSING_BEARER_TOKEN"}');
        return;
      }
      const after = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('after') ?? 0);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ deliveries: deliveries.filter((d) => d.sequence > after), lastSequence: deliveries.length }));
    });
    await new Promise<void>((r) => channel.listen(0, '127.0.0.1', r));
    channelUrl = `http://127.0.0.1:${(channel.address() as AddressInfo).port}`;
  }, 120_000);

  afterAll(async () => {
    await new Promise((r) => channel?.close(r));
    for (const s of SERVICE_DB_KEYS) {
      await clients[s]?.end();
      await dbs[s]?.drop();
    }
  }, 60_000);

  beforeEach(() => fill(), 60_000);

  it('passes every check on consistent data, with the counts it saw', async () => {
    const r = await audit();
    expect(r.checks.map((c) => [c.id, c.ok, c.skipped ?? false])).toEqual(
      ['I1', 'I2', 'I3', 'I4', 'I5', 'I6', 'I7'].map((id) => [id, true, false]),
    );
    const by = Object.fromEntries(r.checks.map((c) => [c.id, c.counts]));
    expect(by.I1).toMatchObject({ decided: 10, eventsDecidedTwice: 0, outboxRows: 0 });
    expect(by.I2).toMatchObject({ accepted: 8, accountsWithMoreThanOne: 0 });
    expect(by.I3).toMatchObject({ entitlementsOwed: 24, entitlementsGranted: 24, couponsOwed: 8, couponsGranted: 8 });
    expect(by.I4).toMatchObject({ passes: 5, soldOut: 3, acceptedWithPassOffer: 8 });
    expect(by.I5).toMatchObject({ sent: 3, channelDeliveries: 3 });
    expect(by.I6).toMatchObject({ deliveredLate: 2, lateWithoutTimelyNotice: 0, noticed: 2 });
    expect(r.ok).toBe(true);
    // The campaign filter sees the same; another campaign sees nothing (and still passes).
    expect((await audit({ campaignId: CAMPAIGN })).ok).toBe(true);
    const other = await audit({ campaignId: 'nobody' });
    expect(other.ok).toBe(true);
    expect(other.checks.find((c) => c.id === 'I2')?.counts.accepted).toBe(0);
  }, 60_000);

  it('I1: an event decided twice, and a stuck outbox', async () => {
    await clients.claims.query(`ALTER TABLE claim DROP CONSTRAINT claim_event_id_key`);
    try {
      await clients.claims.query(
        `INSERT INTO claim (claim_id, event_id, campaign_id, account_id, status, reason, talk_linked, makers_member, produced_at, decided_at)
         VALUES ($1, 'ev-overseas', $2, 'acct-x', 'REJECTED', 'OVERSEAS_NUMBER', true, false, now(), now())`,
        [randomUUID(), CAMPAIGN],
      );
      const r = await audit();
      expect(r.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['I1']);
      expect(r.checks[0]?.detail).toMatch(/1 event ids decided more than once/);
    } finally {
      await clients.claims.query(`DELETE FROM claim WHERE event_id = 'ev-overseas'`);
      await clients.claims.query(`ALTER TABLE claim ADD CONSTRAINT claim_event_id_key UNIQUE (event_id)`);
    }
    await clients.claims.query(
      `INSERT INTO outbox_message (topic, key, value, created_at) VALUES ('t', 'k', '\\x00', now() - interval '10 minutes')`,
    );
    expect(await failed()).toEqual(['I1', 'I7']);
  }, 60_000);

  it('I2: a second ACCEPTED claim for an account', async () => {
    await clients.claims.query(`DROP INDEX claim_one_accepted`);
    try {
      await clients.claims.query(`UPDATE claim SET status = 'ACCEPTED', reason = NULL WHERE event_id = 'ev-dup'`);
      const r = await audit({ only: ['I2'] });
      expect(r.ok).toBe(false);
      expect(r.checks[0]?.detail).toMatch(/1 accounts have more than one accepted claim .*audit-test-campaign\/acct-0/);
      // The extra accepted claim owes grants and a pass decision that nobody made: I3 and I4 see it too.
      expect(await failed()).toEqual(['I2', 'I3', 'I4']);
    } finally {
      await clients.claims.query(`UPDATE claim SET status = 'REJECTED', reason = 'DUPLICATE' WHERE event_id = 'ev-dup'`);
      await clients.claims.query(`CREATE UNIQUE INDEX claim_one_accepted ON claim (campaign_id, account_id) WHERE status = 'ACCEPTED'`);
    }
  }, 60_000);

  it('I3: a missing entitlement, a wrong pack, a coupon for a non-member', async () => {
    const a0 = accepted[0];
    await clients.emoticons.query(`DELETE FROM entitlement WHERE claim_id = $1 AND emoticon_id = 'broken-bear'`, [a0?.claimId]);
    let r = await audit();
    expect(r.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['I3']);
    expect(r.checks.find((c) => c.id === 'I3')?.detail).toContain(`${a0?.claimId}: expected 3, found 2`);
    await fill();
    await clients.emoticons.query(`UPDATE entitlement SET emoticon_id = 'other-pack' WHERE claim_id = $1 AND emoticon_id = 'broken-bear'`, [
      accepted[0]?.claimId,
    ]);
    r = await audit({ only: ['I3'] });
    expect(r.checks[0]?.detail).toMatch(/per-claim counts agree/);
    await fill();
    await clients.coupons.query(
      `INSERT INTO coupon (coupon_id, claim_id, claim_event_id, campaign_id, account_id, idx, amount_won, min_paid_won, issued_at, expires_at)
       VALUES ('extra', $1, 'ev-1', $2, 'acct-1', 0, 2000, 100, now(), now() + interval '1 day')`,
      [accepted[1]?.claimId, CAMPAIGN],
    );
    r = await audit({ only: ['I3'] });
    expect(r.ok).toBe(false);
    expect(r.checks[0]?.counts).toMatchObject({ couponsOwed: 8, couponsGranted: 9, couponsClaimsUnexpected: 1 });
  }, 90_000);

  it('I4: a slot gap, a slot above the cap, SOLD_OUT before the cap', async () => {
    await clients.passes.query(`UPDATE pass SET slot = 7 WHERE campaign_id = $1 AND slot = 4`, [CAMPAIGN]);
    let r = await audit();
    expect(r.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['I4']);
    expect(r.checks.find((c) => c.id === 'I4')?.detail).toMatch(/not contiguous from 1.*slot 7 above the cap 5/);
    await fill();
    await clients.passes.query(`DELETE FROM pass WHERE campaign_id = $1 AND slot = 5`, [CAMPAIGN]);
    await clients.passes.query(`UPDATE pass_campaign SET reserved = 4 WHERE campaign_id = $1`, [CAMPAIGN]);
    r = await audit({ only: ['I4'] });
    expect(r.checks[0]?.detail).toMatch(/3 SOLD_OUT while only 4 of 5 passes were reserved/);
    expect(r.checks[0]?.counts).toMatchObject({ claimsWithoutPassDecision: 1 });
  }, 90_000);

  it('I5: a skipped slot, an unsent slot below the watermark, a channel delivering a slot twice', async () => {
    await clients.passes.query(
      `UPDATE pass SET sent_at = now(), register_by = now() + interval '30 days' WHERE campaign_id = $1 AND slot = 5`,
      [CAMPAIGN],
    );
    let r = await audit({ only: ['I5'] });
    expect(r.checks[0]?.detail).toMatch(/1 slots skipped/);
    await fill();
    await clients.passes.query(`UPDATE pass SET sent_at = NULL, register_by = NULL WHERE campaign_id = $1 AND slot = 2`, [CAMPAIGN]);
    r = await audit({ only: ['I5'] });
    expect(r.checks[0]?.detail).toMatch(/slots at or below the watermark 3 not sent/);
    await fill();
    const first = deliveries[0];
    if (first) deliveries.push({ ...first, sequence: deliveries.length + 1 });
    r = await audit();
    expect(r.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['I5']);
    expect(r.checks.find((c) => c.id === 'I5')?.detail).toMatch(/channel delivered 1 passes twice/);
  }, 90_000);

  it('I6: a pass sent late without a notice, and one noticed only after its deadline', async () => {
    await clients.passes.query(
      `UPDATE pass SET notice_at = NULL, notice_eta = NULL, notice_trigger = NULL WHERE campaign_id = $1 AND slot = 2`,
      [CAMPAIGN],
    );
    await clients.passes.query(`UPDATE pass SET notice_at = notice_deadline + interval '1 minute' WHERE campaign_id = $1 AND slot = 3`, [
      CAMPAIGN,
    ]);
    const r = await audit();
    expect(r.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['I6']);
    expect(r.checks.find((c) => c.id === 'I6')?.counts).toMatchObject({ deliveredLate: 2, lateWithoutTimelyNotice: 2 });
  }, 60_000);

  it('I6: a pass reserved after its deadline (backlog) needs its notice before the delivery instead', async () => {
    // slot 2: reserved an hour after its deadline, noticed 30 min after the deadline, delivered later: fine
    await clients.passes.query(
      `UPDATE pass SET reserved_at = notice_deadline + interval '1 hour', notice_at = notice_deadline + interval '90 minutes'
        WHERE campaign_id = $1 AND slot = 2`,
      [CAMPAIGN],
    );
    let r = await audit({ only: ['I6'] });
    expect(r.ok).toBe(true);
    expect(r.checks[0]?.counts).toMatchObject({ reservedAfterDeadline: 1, backlogLateWithoutNotice: 0 });
    // noticed only after the delivery: fails
    await clients.passes.query(`UPDATE pass SET notice_at = sent_at + interval '1 minute' WHERE campaign_id = $1 AND slot = 2`, [CAMPAIGN]);
    r = await audit({ only: ['I6'] });
    expect(r.ok).toBe(false);
    expect(r.checks[0]?.counts).toMatchObject({ backlogLateWithoutNotice: 1 });
  }, 60_000);

  it('I7: a deferred message past its give-up time, a rejection without a reason', async () => {
    await clients.emoticons.query(
      `INSERT INTO deferred_message (group_id, topic, partition, "offset", value, kafka_timestamp, reason, next_attempt_at, give_up_at)
       VALUES ('emoticons', 'emoticon.downloaded.v1', 0, 1, '\\x00', now(), 'NOT_GRANTED_YET', now(), now() - interval '1 hour')`,
    );
    let r = await audit();
    expect(r.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['I7']);
    expect(r.checks.find((c) => c.id === 'I7')?.detail).toMatch(/emoticons: 1 deferred messages past their give-up time/);
    await fill();
    await clients.coupons.query(`ALTER TABLE redemption DROP CONSTRAINT redemption_check`);
    try {
      await clients.coupons.query(
        `INSERT INTO redemption (request_id, source, coupon_id, account_id, order_id, order_amount_won, status, discount_won, decided_at) VALUES ('r1', 'EVENT', 'c', 'a', 'o', 1, 'REJECTED', 0, now())`,
      );
      r = await audit({ only: ['I7'] });
      expect(r.checks[0]?.detail).toMatch(/coupons.redemption: 1 rejections without a reason/);
    } finally {
      await clients.coupons.query(`DELETE FROM redemption`);
      await clients.coupons.query(
        `ALTER TABLE redemption ADD CONSTRAINT redemption_check CHECK ((status = 'REDEEMED') = (reason IS NULL))`,
      );
    }
  }, 60_000);

  it('CLI: --json prints exactly one object and the exit code says whether it passed', async () => {
    await clients.passes.query(
      `UPDATE pass SET notice_at = NULL, notice_eta = NULL, notice_trigger = NULL WHERE campaign_id = $1 AND slot = 2`,
      [CAMPAIGN],
    );
    const dbArg = SERVICE_DB_KEYS.map((s) => `${s}=${dbs[s].name}`).join(',');
    const child = spawnTs('tools/audit/cli.ts', { OTEL_SDK_DISABLED: 'true' }, [
      '--json',
      '--campaign',
      CAMPAIGN,
      '--db',
      dbArg,
      '--channel-url',
      channelUrl,
      '--prefix',
      'audit-none.',
    ]);
    let stdout = '';
    child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0] ?? '') as { ok: boolean; checks: { id: string; ok: boolean; detail: string }[] };
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['I6']);
    expect(code).toBe(1);
  }, 90_000);
});
