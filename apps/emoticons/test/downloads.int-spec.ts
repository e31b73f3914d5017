import { bearer, probeRoutes } from '@platform/auth/testing';
import { dlqName, Topics } from '@platform/contracts';
import { DLQ_HEADERS, ManualClock } from '@platform/messaging';
import { waitFor } from '@platform/testing';
import { ExpirySweep } from '../src/entitlements/expiry.sweep';
import { acceptedDecision, download, EmoticonsTestBed } from './helpers';

jest.setTimeout(60_000);

interface Pack {
  emoticonId: string;
  state: string;
  usable: boolean;
  permanent: boolean;
  validityDays: number | null;
  firstDownloadedAt: string | null;
  usableUntil: string | null;
}

const DAY = 86_400_000;
const T0 = new Date('2023-01-10T03:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe('emoticons: downloads, expiry and the keyboard tab (real Kafka + Postgres)', () => {
  const clock = new ManualClock(T0);
  let bed: EmoticonsTestBed;
  const collected = [
    Topics.entitlementActivated.name,
    Topics.downloadRejected.name,
    Topics.entitlementExpired.name,
    dlqName(Topics.emoticonDownloaded.name),
  ];
  /** Consumed, published, collected: anything wrongly emitted is in the collector now. */
  const settled = () => bed.settled(...collected);
  const activated = (accountId?: string) => bed.read('entitlementActivated').filter((a) => !accountId || a.accountId === accountId);
  const rejected = () => bed.read('downloadRejected');
  const dlq = () => bed.on(dlqName(Topics.emoticonDownloaded.name));
  const packs = async (accountId: string): Promise<Pack[]> => {
    const res = await fetch(`${bed.url}/entitlements/${encodeURIComponent(accountId)}`, {
      headers: await bearer(bed.config, 'app-backend', { account: accountId }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { packs: Pack[] }).packs;
  };
  const grant = async (accountId: string) => {
    await bed.feeder.send('claimDecided', [acceptedDecision(accountId)]);
    await waitFor(
      `${accountId} granted`,
      async () => (await bed.pg.query(`SELECT 1 FROM entitlement WHERE account_id = $1`, [accountId])).rowCount === 3,
    );
  };

  beforeAll(async () => {
    bed = await EmoticonsTestBed.start('emoticons-downloads', { collect: collected });
    await bed.startEmoticons({ EMOTICON_DOWNLOAD_WAIT_MS: '5000', EMOTICON_SWEEP_BATCH_SIZE: '100' }, { clock, http: true });
  });

  afterAll(() => bed?.close());

  it('the first download starts a 90-day clock; later downloads do not reset it; a permanent pack needs no clock', async () => {
    await grant('user-1');
    expect((await packs('user-1')).map((p) => [p.emoticonId, p.state, p.usableUntil])).toEqual([
      ['choonsik-friends-2', 'NOT_DOWNLOADED', null],
      ['tosimi-tomungi', 'NOT_DOWNLOADED', null],
      ['broken-bear', 'NOT_DOWNLOADED', null],
    ]);

    await bed.feeder.send('emoticonDownloaded', [
      download('dl-1', 'user-1', 'tosimi-tomungi', at(0)),
      download('dl-2', 'user-1', 'choonsik-friends-2', at(0)),
    ]);
    await waitFor('activation', () => activated('user-1').length === 1);
    await bed.feeder.send('emoticonDownloaded', [
      download('dl-3', 'user-1', 'tosimi-tomungi', at(DAY)),
      download('dl-1', 'user-1', 'tosimi-tomungi', at(0)), // the same event published again
      download('dl-4', 'user-1', 'choonsik-friends-2', at(2 * DAY)),
    ]);
    await settled();

    expect(activated('user-1')).toEqual([
      {
        entitlementId: expect.any(String),
        eventId: 'dl-1',
        accountId: 'user-1',
        emoticonId: 'tosimi-tomungi',
        activatedAt: at(0).toISOString(),
        expiresAt: at(90 * DAY).toISOString(),
      },
    ]);
    expect(rejected()).toHaveLength(0);
    const { rows } = await bed.pg.query(`SELECT event_id, outcome FROM download ORDER BY event_id`);
    expect(rows).toEqual([
      { event_id: 'dl-1', outcome: 'ACTIVATED' },
      { event_id: 'dl-2', outcome: 'FIRST_DOWNLOAD' },
      { event_id: 'dl-3', outcome: 'REPEAT' },
      { event_id: 'dl-4', outcome: 'REPEAT' },
    ]);
    expect(await packs('user-1')).toEqual([
      expect.objectContaining({
        emoticonId: 'choonsik-friends-2',
        state: 'ACTIVE',
        permanent: true,
        usable: true,
        usableUntil: null,
        firstDownloadedAt: at(0).toISOString(),
      }),
      expect.objectContaining({
        emoticonId: 'tosimi-tomungi',
        state: 'ACTIVE',
        permanent: false,
        validityDays: 90,
        usableUntil: at(90 * DAY).toISOString(),
      }),
      expect.objectContaining({ emoticonId: 'broken-bear', state: 'NOT_DOWNLOADED', usable: true, usableUntil: null, validityDays: 90 }),
    ]);
  });

  it('a download that arrives before its grant waits for it, then starts the clock from its own download time', async () => {
    await bed.feeder.send('emoticonDownloaded', [download('early-1', 'user-2', 'broken-bear', at(60_000))]);
    await waitFor(
      'download deferred',
      async () => (await bed.pg.query(`SELECT 1 FROM deferred_message WHERE reason LIKE 'NOT_GRANTED: account user-2 %'`)).rowCount === 1,
    );
    expect(activated('user-2')).toHaveLength(0);

    await grant('user-2');
    clock.advance(1000); // the deferred download is due again
    await waitFor('late activation', () => activated('user-2').length === 1, 20_000);
    expect(activated('user-2')[0]).toMatchObject({
      eventId: 'early-1',
      emoticonId: 'broken-bear',
      expiresAt: at(60_000 + 90 * DAY).toISOString(),
    });
    await waitFor('deferral cleared', async () => (await bed.pg.query(`SELECT 1 FROM deferred_message`)).rowCount === 0);
    expect(dlq()).toHaveLength(0);
  });

  it('a download of a pack never granted is retried within the bound, then parked in the DLQ as NOT_GRANTED', async () => {
    await bed.feeder.send('emoticonDownloaded', [
      download('stray-1', 'user-never', 'broken-bear', at(0)),
      download('stray-2', 'user-1', 'ryan-not-in-campaign', at(0)),
    ]);
    await waitFor('both deferred', async () => (await bed.pg.query(`SELECT 1 FROM deferred_message`)).rowCount === 2);
    clock.advance(1000);
    await waitFor(
      'retried at least once',
      async () => (await bed.pg.query(`SELECT 1 FROM deferred_message WHERE attempts > 0`)).rowCount === 2,
      20_000,
    );
    expect(dlq()).toHaveLength(0);

    clock.advance(5000); // past EMOTICON_DOWNLOAD_WAIT_MS
    await waitFor('2 dead letters', () => dlq().length === 2, 20_000);
    const reasons = dlq()
      .map((m) => m.headers[DLQ_HEADERS.reason])
      .sort();
    expect(reasons).toEqual([
      expect.stringMatching(
        /^DEFERRED_TIMEOUT: NOT_GRANTED: account user-1 holds no entitlement to ryan-not-in-campaign \(download stray-2\)/,
      ),
      expect.stringMatching(/^DEFERRED_TIMEOUT: NOT_GRANTED: account user-never holds no entitlement to broken-bear \(download stray-1\)/),
    ]);
    expect(
      dlq()
        .map((m) => m.json<{ eventId: string }>().eventId)
        .sort(),
    ).toEqual(['stray-1', 'stray-2']); // original bytes kept
    expect((await bed.pg.query(`SELECT 1 FROM deferred_message`)).rowCount).toBe(0);
  });

  it('refuses a download at or after the end as EXPIRED; concurrent sweeps expire every clock exactly once', async () => {
    const end = at(90 * DAY); // user-1's tosimi-tomungi
    await bed.feeder.send('emoticonDownloaded', [
      download('late-ok', 'user-1', 'tosimi-tomungi', new Date(end.getTime() - 1)),
      download('late-no', 'user-1', 'tosimi-tomungi', end),
    ]);
    await waitFor('one refusal', () => rejected().length === 1);
    expect(rejected()[0]).toMatchObject({ eventId: 'late-no', accountId: 'user-1', emoticonId: 'tosimi-tomungi', reason: 'EXPIRED' });

    // Many running clocks, as after a busy campaign: 2,500 more ending before user-1's.
    await bed.pg.query(
      `INSERT INTO entitlement (entitlement_id, claim_id, claim_event_id, campaign_id, account_id, emoticon_id, name, position, validity_days,
                                state, granted_at, first_downloaded_at, expires_at)
       SELECT 'bulk-' || i, 'c-' || i, 'e-' || i, 'kakao-2023-heart-pack', 'bulk-' || i, 'broken-bear', 'Broken Bear', 2, 90,
              'ACTIVE', $1, $1, $1::timestamptz + interval '90 days' - (i || ' seconds')::interval
         FROM generate_series(1, 2500) AS i`,
      [at(0)],
    );
    const sweeper = bed.app.get(ExpirySweep);
    clock.set(new Date(end.getTime() - 2501_000));
    expect(await sweeper.sweepOnce()).toBe(0);

    clock.set(end); // exactly at user-1's end: it expires too; user-2's broken-bear (ends a minute later) does not
    const counts = await Promise.all([sweeper.sweepOnce(), sweeper.sweepOnce(), sweeper.sweepOnce(), sweeper.sweepOnce()]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(2501);
    expect(await sweeper.sweepOnce()).toBe(0);

    await settled();
    const expired = bed.read('entitlementExpired');
    expect(expired).toHaveLength(2501);
    expect(new Set(expired.map((e) => e.entitlementId)).size).toBe(2501);
    expect(expired.find((e) => e.accountId === 'user-1')).toMatchObject({ emoticonId: 'tosimi-tomungi', expiredAt: end.toISOString() });

    const { rows } = await bed.pg.query(
      `SELECT account_id, emoticon_id, state FROM entitlement WHERE account_id IN ('user-1', 'user-2') ORDER BY 1, 2`,
    );
    expect(rows.map((r) => `${r.account_id}/${r.emoticon_id}/${r.state}`)).toEqual([
      'user-1/broken-bear/GRANTED',
      'user-1/choonsik-friends-2/ACTIVE', // permanent: never expires
      'user-1/tosimi-tomungi/EXPIRED',
      'user-2/broken-bear/ACTIVE',
      'user-2/choonsik-friends-2/GRANTED',
      'user-2/tosimi-tomungi/GRANTED',
    ]);
    const tab = await packs('user-1');
    expect(tab.find((p) => p.emoticonId === 'tosimi-tomungi')).toMatchObject({
      state: 'EXPIRED',
      usable: false,
      usableUntil: end.toISOString(),
    });
    expect(tab.find((p) => p.emoticonId === 'choonsik-friends-2')).toMatchObject({ state: 'ACTIVE', usable: true });

    // A clock that was never started does not run out: a first download long after the grant still activates.
    await bed.feeder.send('emoticonDownloaded', [download('much-later', 'user-1', 'broken-bear', end)]);
    await waitFor('late first download activates', () => activated('user-1').length === 2);
    expect(activated('user-1')[1]).toMatchObject({ eventId: 'much-later', expiresAt: new Date(end.getTime() + 90 * DAY).toISOString() });
  });

  it('parks malformed and schema-breaking downloads in the DLQ, refuses a download time from the future as INVALID', async () => {
    const before = dlq().length;
    await bed.feeder.send('emoticonDownloaded', [
      'not json at all',
      JSON.stringify({ ...download('x-1', 'user-1', 'broken-bear', at(0)), emoticonId: 7 }),
      JSON.stringify({ eventId: 'x-2', accountId: 'user-1', emoticonId: 'broken-bear', downloadedAt: '2023-01-10 12:00' }),
    ]);
    const future = new Date(Date.now() + DAY); // later than the message's own Kafka timestamp
    await bed.feeder.send('emoticonDownloaded', [download('from-future', 'user-2', 'tosimi-tomungi', future)]);
    await waitFor('3 dead letters', () => dlq().length === before + 3);
    expect(
      dlq()
        .slice(before)
        .map((m) => m.headers[DLQ_HEADERS.reason]),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^MALFORMED_JSON/),
        expect.stringMatching(/^SCHEMA_VIOLATION: emoticonId/),
        expect.stringMatching(/^SCHEMA_VIOLATION: downloadedAt/),
      ]),
    );
    await waitFor('INVALID refusal', () => rejected().some((r) => r.eventId === 'from-future'));
    expect(rejected().find((r) => r.eventId === 'from-future')).toMatchObject({
      reason: 'INVALID',
      accountId: 'user-2',
      emoticonId: 'tosimi-tomungi',
    });
    expect((await packs('user-2')).find((p) => p.emoticonId === 'tosimi-tomungi')).toMatchObject({ state: 'NOT_DOWNLOADED' });

    const bad = await fetch(`${bed.url}/entitlements/${encodeURIComponent('has space')}`, { headers: await bearer(bed.config, 'reader') });
    expect(bad.status).toBe(400);
    expect(await packs('nobody')).toEqual([]);
  });

  it('refuses every registered route but /health/* without a token (401) and with a wrong role (403)', async () => {
    const probes = await probeRoutes(bed.app, bed.url, bed.config);
    expect(probes.map((p) => `${p.method} ${p.path}`)).toEqual(expect.arrayContaining(['GET /entitlements/:accountId', 'GET /metrics']));
    for (const p of probes.filter((x) => !x.path.startsWith('/health/'))) {
      const where = `${p.method} ${p.path}`;
      expect([where, p.anonymous]).toEqual([where, 401]);
      expect([where, Object.values(p.byRole).includes(403)]).toEqual([where, true]);
      expect([where, Object.values(p.byRole).some((s) => s !== 401 && s !== 403)]).toEqual([where, true]);
    }
    // an account-bound app-backend token reads its own account only
    const own = await bearer(bed.config, 'app-backend', { account: 'user-own' });
    expect((await fetch(`${bed.url}/entitlements/user-own`, { headers: own })).status).toBe(200);
    expect((await fetch(`${bed.url}/entitlements/user-2`, { headers: own })).status).toBe(403);
  });
});
