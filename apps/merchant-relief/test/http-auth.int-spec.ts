import { guardBreaches, probeRoutes } from '@platform/auth/testing';
import type { ReliefConfig } from '../src/config';
import { ReliefHarness } from './harness';
import { RELIEF_CONFIG } from '../src/tokens';

jest.setTimeout(90_000);

/** The committee's and ops' reads: reader or ops only; every registered route but /health/* refuses the unauthenticated (401) and a wrong role (403). */
describe('merchant-relief HTTP authentication', () => {
  let h: ReliefHarness;
  beforeAll(async () => {
    h = await new ReliefHarness().start('relief_auth');
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('refuses every registered route but /health/* without a token (401) and with a wrong role (403)', async () => {
    const url = h.url.replace('[::1]', '127.0.0.1');
    const probes = await probeRoutes(h.app, url, h.app.get<ReliefConfig>(RELIEF_CONFIG));
    expect(guardBreaches(probes, ['GET /relief/reviews', 'GET /relief/summary', 'GET /relief/:merchantId', 'GET /metrics'])).toEqual([]);
    expect(probes.find((p) => p.path === '/relief/summary')?.byRole).toEqual({
      ops: 200,
      reader: 200,
      'app-backend': 403,
      'shop-backend': 403,
      'pass-dispatcher': 403,
    });
  });
});
