import { guardBreaches, probeRoutes, tokenFor } from '@platform/auth/testing';
import { ManualClock } from '@platform/messaging';
import { waitFor } from '@platform/testing';
import { couponIdFor } from '../src/coupons/coupon-id';
import { COUPONS_CONFIG } from '../src/tokens';
import type { CouponsConfig } from '../src/config';
import { acceptedClaim, Harness, startHarness } from './fixtures';

jest.setTimeout(90_000);

/**
 * Who may redeem and read coupons over HTTP: only the shop backend redeems, an account-bound token
 * only for its own account (the body's accountId is checked against the token before anything is
 * decided), lookups need reader/ops or the app backend; every registered route refuses the
 * unauthenticated (401) and a wrong role (403).
 */
describe('coupons HTTP authentication (real Kafka and Postgres)', () => {
  const t0 = new Date(Math.floor(Date.now() / 1000) * 1000);
  let h: Harness;
  let base: string;
  let config: CouponsConfig;

  beforeAll(async () => {
    h = await startHarness('coupons_auth', new ManualClock(t0), []);
    base = (await h.app.getUrl()).replace('[::1]', '127.0.0.1');
    config = h.app.get<CouponsConfig>(COUPONS_CONFIG);
    await h.feeder.send('claimDecided', [acceptedClaim('auth1', t0)]);
    await waitFor('coupons issued', async () => (await h.count(`SELECT count(*) n FROM coupon WHERE account_id = 'acct-auth1'`)) === 2);
  });
  afterAll(async () => {
    await h?.close();
  });

  const redeem = async (token: string, accountId: string, key: string) =>
    fetch(`${base}/coupons/${couponIdFor('claim-auth1', 0)}/redemptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
      body: JSON.stringify({ accountId, orderId: `order-${key}`, orderAmountWon: 10_000 }),
    });

  it('refuses a redemption to the app backend and to an account-bound shop token naming another account, and decides it for the shop', async () => {
    expect((await redeem(await tokenFor(config, 'app-backend'), 'acct-auth1', 'k1')).status).toBe(403);
    expect((await redeem(await tokenFor(config, 'ops'), 'acct-auth1', 'k2')).status).toBe(403);
    const boundToOther = await tokenFor(config, 'shop-backend', { account: 'acct-someone-else' });
    const refused = await redeem(boundToOther, 'acct-auth1', 'k3');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'ACCOUNT_MISMATCH' });
    // nothing was decided for the refused requests
    expect(await h.count(`SELECT count(*) n FROM redemption`)).toBe(0);

    const ok = await redeem(await tokenFor(config, 'shop-backend', { account: 'acct-auth1' }), 'acct-auth1', 'k4');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'REDEEMED', accountId: 'acct-auth1' });
  });

  it('lets the app backend read an account, and an account-bound token only its own', async () => {
    const own = await tokenFor(config, 'app-backend', { account: 'acct-auth1' });
    expect((await fetch(`${base}/coupons/acct-auth1`, { headers: { authorization: `Bearer ${own}` } })).status).toBe(200);
    expect((await fetch(`${base}/coupons/acct-other`, { headers: { authorization: `Bearer ${own}` } })).status).toBe(403);
  });

  it('refuses every registered route but /health/* without a token (401) and with a wrong role (403)', async () => {
    const probes = await probeRoutes(h.app, base, config);
    expect(guardBreaches(probes, ['POST /coupons/:couponId/redemptions', 'GET /coupons/:accountId', 'GET /metrics'])).toEqual([]);
    expect(probes.find((p) => p.method === 'POST')?.byRole).toEqual({
      'shop-backend': 400,
      ops: 403,
      reader: 403,
      'app-backend': 403,
      'pass-dispatcher': 403,
    });
  });
});
