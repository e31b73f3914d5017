// The ETA is computed twice: in TypeScript (estimateDeliveryAt, for status and the sender's
// notices) and in SQL (ETA_SQL, for the watchdog's and the estimator's set-based UPDATEs). A delay
// notice must announce the same time whichever path wrote it, so the two are checked against each
// other on Postgres itself, across rates whose per-slot time is not a round number of ms.
import { Client } from 'pg';
import { estimateDeliveryAt, etaModel } from '@platform/rules';
import { testInfra } from '@platform/testing';
import { ETA_SQL } from '../src/shared/campaigns';

describe('ETA_SQL agrees with estimateDeliveryAt', () => {
  let pg: Client;

  beforeAll(async () => {
    pg = new Client({ connectionString: testInfra().databaseUrl });
    await pg.connect();
  });
  afterAll(() => pg?.end());

  const now = new Date('2023-01-05T09:00:00.123+09:00');
  const rates = [0.1, 0.7, 1, 3, 7, 9, 11, 13, 33.3, 50, 333, 777, 1000, 1234.5];
  const watermarks = [0, 1, 2_999_999];
  const cases = rates.flatMap((rate) =>
    watermarks.map((watermark) => ({
      model: etaModel({
        now,
        watermark,
        reserved: watermark + 10_000,
        progressAt: new Date(now.getTime() - 1500),
        measuredRatePerSecond: null,
        allowedRatePerSecond: rate,
      }),
      // the next slot, small and large distances, and the cap's last slot
      slots: [watermark + 1, watermark + 2, watermark + 3, watermark + 7, watermark + 1000, watermark + 9999, 3_000_000].filter(
        (s) => s > watermark,
      ),
    })),
  );

  it.each(cases.map((c) => [c.model.ratePerSecond, c.model.watermark, c]))('at %p passes/s from watermark %p', async (_rate, _wm, c) => {
    const { rows } = await pg.query<{ slot: number; eta: Date }>(
      `SELECT slot, ${ETA_SQL('$1', '$2', '$3')} AS eta FROM unnest($4::int[]) AS t(slot) ORDER BY slot`,
      [c.model.baseAt, c.model.watermark, c.model.secondsPerSlot * 1000, c.slots],
    );
    const fromSql = rows.map((r) => ({ slot: r.slot, eta: new Date(r.eta).toISOString() }));
    const fromTs = [...c.slots].sort((a, b) => a - b).map((slot) => ({ slot, eta: estimateDeliveryAt(c.model, slot).toISOString() }));
    expect(fromSql).toEqual(fromTs);
  });
});
