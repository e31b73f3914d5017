import { guardBreaches, probeRoutes, tokenFor } from '@platform/auth/testing';
import { PayloadOf, Topics } from '@platform/contracts';
import { waitFor } from '@platform/testing';
import { accepted, campaignRow, PassTestBed } from './helpers';

jest.setTimeout(90_000);

/**
 * Issue 15's acceptance on the real app: `POST /passes/campaigns/kakao-2023-heart-pack/pause`
 * answers 401 without credentials, 403 for a reader, works with an ops token and is audited (a
 * row in ops_audit and talkdrawer.ops.audited.v1, committed with the change); and every route the
 * app registers, found from its router, refuses the unauthenticated and the wrong roles.
 */
describe('pass-dispatcher HTTP authentication', () => {
  const campaignId = 'kakao-2023-heart-pack';
  let bed: PassTestBed;

  beforeAll(async () => {
    bed = await PassTestBed.start('passes-auth', { collect: [Topics.passesOpsAudited.name] });
    await bed.startDispatcher({ DISPATCH_ENABLED: 'false', ESTIMATOR_INTERVAL_MS: '0', WATCHDOG_INTERVAL_MS: '0' }, { http: true });
    await bed.feeder.send('claimDecided', [accepted(1, { campaignId })]);
    await waitFor('campaign known', async () => (await campaignRow(bed.pg, campaignId))?.reserved === 1, 60_000, 200);
  });

  afterAll(() => bed?.close());

  const pause = (headers: Record<string, string> = {}) =>
    fetch(`${bed.url}/passes/campaigns/${campaignId}/pause`, { method: 'POST', headers });

  it('answers 401 without a token, 401 with a forged or expired one, 403 for a reader, and pauses for ops (audited)', async () => {
    const anonymous = await pause();
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const forged = await tokenFor({ NODE_ENV: 'test', AUTH_JWT_SECRET: 'an-attacker-key-that-is-long-enough-xx' }, 'ops');
    expect((await pause({ authorization: `Bearer ${forged}` })).status).toBe(401);
    expect((await pause({ authorization: `Bearer ${await tokenFor(bed.config, 'ops', { ttlSeconds: -120 })}` })).status).toBe(401);
    expect((await pause({ authorization: `Bearer ${await tokenFor(bed.config, 'reader')}` })).status).toBe(403);
    expect((await bed.pg.query('SELECT count(*)::int AS n FROM ops_audit')).rows[0]).toEqual({ n: 0 });
    expect((await bed.pg.query('SELECT paused FROM pass_campaign WHERE campaign_id = $1', [campaignId])).rows[0]).toEqual({
      paused: false,
    });

    const ok = await pause({ authorization: `Bearer ${await tokenFor(bed.config, 'ops', { subject: 'oncall-kim' })}` });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ campaignId, paused: true });

    const audit = await bed.pg.query('SELECT actor, roles, action, target, detail, source_address FROM ops_audit');
    expect(audit.rows).toEqual([
      {
        actor: 'oncall-kim',
        roles: ['ops'],
        action: 'passes.campaign.pause',
        target: campaignId,
        detail: {},
        source_address: expect.stringMatching(/127\.0\.0\.1/),
      },
    ]);
    await waitFor('audit event', () => Promise.resolve(bed.collector.messages.length === 1), 30_000, 100);
    const event = bed.collector.messages[0]?.json<PayloadOf<'passesOpsAudited'>>();
    expect(event).toMatchObject({
      service: 'pass-dispatcher',
      actor: 'oncall-kim',
      roles: ['ops'],
      action: 'passes.campaign.pause',
      target: campaignId,
      detail: {},
    });
    expect(bed.collector.messages[0]?.key).toBe(campaignId);

    // a refused or failed control leaves no audit entry (UNKNOWN_CAMPAIGN)
    const unknown = await fetch(`${bed.url}/passes/campaigns/nope/resume`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await tokenFor(bed.config, 'ops')}` },
    });
    expect(unknown.status).toBe(404);
    expect((await bed.pg.query('SELECT count(*)::int AS n FROM ops_audit')).rows[0]).toEqual({ n: 1 });
  });

  it('binds an account-bound app-backend token to its own account', async () => {
    const own = await tokenFor(bed.config, 'app-backend', { account: 'acct-mine' });
    expect((await fetch(`${bed.url}/passes/acct-mine`, { headers: { authorization: `Bearer ${own}` } })).status).toBe(200);
    expect((await fetch(`${bed.url}/passes/acct-someone-else`, { headers: { authorization: `Bearer ${own}` } })).status).toBe(403);
    expect((await fetch(`${bed.url}/passes/status`, { headers: { authorization: `Bearer ${own}` } })).status).toBe(403);
  });

  it('refuses every registered route but /health/* without a token (401) and with a wrong role (403)', async () => {
    const probes = await probeRoutes(bed.app, bed.url, bed.config);
    const known = [
      'GET /health/live',
      'GET /passes/status',
      'POST /passes/campaigns/:id/pause',
      'PUT /passes/campaigns/:id/rate',
      'GET /metrics',
    ];
    expect(guardBreaches(probes, known)).toEqual([]);
    const pauseProbe = probes.find((p) => p.path === '/passes/campaigns/:id/pause');
    // only ops passes the guard (404: the placeholder campaign does not exist)
    expect(pauseProbe?.byRole).toEqual({ ops: 404, reader: 403, 'app-backend': 403, 'shop-backend': 403, 'pass-dispatcher': 403 });
  });
});
