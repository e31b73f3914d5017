// The ETA is computed twice: in TypeScript (estimateDeliveryAt, for status and the sender's
// notices) and in SQL (ETA_SQL, for the watchdog's and the estimator's set-based UPDATEs). A delay
// notice must announce the same time whichever path wrote it, so the two are checked against each
// other on Postgres itself, bound as DelayNoticeRepository binds them: the model's baseAt (a Date),
// its watermark and its ms per slot (numbers), the slot as the pass row's int column (noticeDue,
// noticeLate) or as an int parameter (noticeLate's drain bound).
import { Client } from 'pg';
import { EtaModel, estimateDeliveryAt, etaModel } from '@platform/rules';
import { testInfra } from '@platform/testing';
import { ETA_SQL } from '../src/notices/delay-notice.repository';

const NOW = '2023-01-05T09:00:00.123+09:00';

interface EtaCase {
  name: string;
  /** The estimate's "now" (default NOW). */
  now?: string;
  watermark: number;
  slot: number;
  allowedRate: number;
  measuredRate?: number;
  /** Time since the watermark last moved. */
  stallMs?: number;
  /** Nothing waits (reserved = watermark): the stall does not count. */
  idle?: boolean;
  /**
   * Worked out apart from both implementations, in IEEE doubles: now + stall +
   * ceil(max(1, slot - watermark) x ((1 / rate) x 1000)) ms. Pinned, so that changing both sides
   * alike fails too.
   */
  expected: string;
}

const CASES: EtaCase[] = [
  { name: 'the queue head, nothing sent yet', watermark: 0, slot: 1, allowedRate: 100, expected: '2023-01-05T00:00:00.133Z' },
  { name: 'the slot after the watermark', watermark: 1000, slot: 1001, allowedRate: 100, expected: '2023-01-05T00:00:00.133Z' },
  { name: 'slot = watermark: one slot ahead', watermark: 500, slot: 500, allowedRate: 100, expected: '2023-01-05T00:00:00.133Z' },
  { name: 'slot < watermark: one slot ahead', watermark: 500, slot: 10, allowedRate: 100, expected: '2023-01-05T00:00:00.133Z' },
  { name: '333.33... ms per slot (3/s)', watermark: 0, slot: 4, allowedRate: 3, expected: '2023-01-05T00:00:01.457Z' },
  {
    name: '13 slots at 13/s: the product is 1000.0000000000001 ms, rounded up',
    watermark: 0,
    slot: 13,
    allowedRate: 13,
    expected: '2023-01-05T00:00:01.124Z',
  },
  {
    name: '35 slots at 50/s: 700 ms (seconds x 1000 first would give 701)',
    watermark: 5,
    slot: 40,
    allowedRate: 50,
    expected: '2023-01-05T00:00:00.823Z',
  },
  {
    name: '9 slots at 1000/s: 9 ms (seconds x 1000 first would give 10)',
    watermark: 1,
    slot: 10,
    allowedRate: 1000,
    expected: '2023-01-05T00:00:00.132Z',
  },
  { name: '142.857... ms per slot (7/s)', watermark: 0, slot: 6, allowedRate: 7, expected: '2023-01-05T00:00:00.981Z' },
  {
    name: '1428.57... ms per slot (0.7/s), 21 slots: 30000.000000000004 ms',
    watermark: 20,
    slot: 41,
    allowedRate: 0.7,
    expected: '2023-01-05T00:00:30.124Z',
  },
  { name: '30.03... ms per slot (33.3/s)', watermark: 2, slot: 1002, allowedRate: 33.3, expected: '2023-01-05T00:00:30.154Z' },
  {
    name: '0.81... ms per slot (1234.5/s), far ahead',
    watermark: 7,
    slot: 10_006,
    allowedRate: 1234.5,
    expected: '2023-01-05T00:00:08.223Z',
  },
  { name: 'a 90 s stall moves the base', watermark: 10, slot: 20, allowedRate: 100, stallMs: 90_000, expected: '2023-01-05T00:01:30.223Z' },
  { name: 'a 1.5 s stall at 3/s', watermark: 10, slot: 1010, allowedRate: 3, stallMs: 1500, expected: '2023-01-05T00:05:34.957Z' },
  {
    name: 'an idle queue adds no stall',
    watermark: 10,
    slot: 11,
    allowedRate: 100,
    stallMs: 3_600_000,
    idle: true,
    expected: '2023-01-05T00:00:00.133Z',
  },
  {
    name: 'measured 37.5/s below the allowed 100/s',
    watermark: 100,
    slot: 101,
    allowedRate: 100,
    measuredRate: 37.5,
    expected: '2023-01-05T00:00:00.150Z',
  },
  {
    name: 'measured 80/s capped by the allowed 50/s',
    watermark: 100,
    slot: 160,
    allowedRate: 50,
    measuredRate: 80,
    expected: '2023-01-05T00:00:01.323Z',
  },
  { name: 'the cap at 1/s (34.7 days)', watermark: 0, slot: 3_000_000, allowedRate: 1, expected: '2023-02-08T17:20:00.123Z' },
  {
    name: 'the cap at 0.1/s (347 days, across both DST changes)',
    watermark: 0,
    slot: 3_000_000,
    allowedRate: 0.1,
    expected: '2023-12-18T05:20:00.123Z',
  },
  { name: '95 years ahead at 0.001/s', watermark: 1, slot: 3_000_000, allowedRate: 0.001, expected: '2118-01-29T05:03:20.123Z' },
  {
    name: 'the last slot after the cap - 1 watermark',
    watermark: 2_999_999,
    slot: 3_000_000,
    allowedRate: 333,
    expected: '2023-01-05T00:00:00.127Z',
  },
  {
    name: 'across the EU DST start',
    now: '2023-03-26T00:59:59.999Z',
    watermark: 0,
    slot: 2,
    allowedRate: 1,
    expected: '2023-03-26T01:00:01.999Z',
  },
];

const modelOf = (c: EtaCase): EtaModel => {
  const now = new Date(c.now ?? NOW);
  return etaModel({
    now,
    watermark: c.watermark,
    reserved: c.idle ? c.watermark : Math.max(c.slot, c.watermark + 1),
    progressAt: new Date(now.getTime() - (c.stallMs ?? 0)),
    measuredRatePerSecond: c.measuredRate ?? null,
    allowedRatePerSecond: c.allowedRate,
  });
};

describe('ETA_SQL agrees with estimateDeliveryAt', () => {
  let pg: Client;

  beforeAll(async () => {
    pg = new Client({ connectionString: testInfra().databaseUrl });
    await pg.connect();
  });
  afterAll(() => pg?.end());

  /** ETA_SQL of `slots` under `model`, with the slot as a row's int column and as an int parameter. */
  type SqlEta = { slot: number; byColumn: string; byParam: string };
  const fromSql = async (model: EtaModel, slots: number[]): Promise<SqlEta[]> => {
    const eta = ETA_SQL('$1', '$2', '$3');
    const out: SqlEta[] = [];
    for (const slot of slots) {
      const { rows } = await pg.query<{ by_column: Date; by_param: Date }>(
        `SELECT ${eta} AS by_column, ${eta.replace(/slot/g, '$4::int')} AS by_param FROM (SELECT $4::int AS slot) AS p`,
        [model.baseAt, model.watermark, model.secondsPerSlot * 1000, slot],
      );
      const [row] = rows;
      if (!row) throw new Error('no row');
      out.push({ slot, byColumn: new Date(row.by_column).toISOString(), byParam: new Date(row.by_param).toISOString() });
    }
    return out;
  };

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const model = modelOf(c);
    const [sql] = await fromSql(model, [c.slot]);
    expect({ ts: estimateDeliveryAt(model, c.slot).toISOString(), sqlColumn: sql?.byColumn, sqlParam: sql?.byParam }).toEqual({
      ts: c.expected,
      sqlColumn: c.expected,
      sqlParam: c.expected,
    });
  });

  // A sweep beyond the table: rates whose per-slot time is not a round number of ms, from the queue
  // head, an early and a late watermark, to near and far slots.
  const now = new Date(NOW);
  const rates = [0.1, 0.7, 1, 3, 7, 9, 11, 13, 33.3, 50, 333, 777, 1000, 1234.5];
  const watermarks = [0, 1, 2_999_999];
  const sweep = rates.flatMap((rate) =>
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

  it.each(sweep.map((c) => [c.model.ratePerSecond, c.model.watermark, c] as const))(
    'at %p passes/s from watermark %p',
    async (_rate, _wm, c) => {
      const ts = c.slots.map((slot) => {
        const at = estimateDeliveryAt(c.model, slot).toISOString();
        return { slot, byColumn: at, byParam: at };
      });
      expect(await fromSql(c.model, c.slots)).toEqual(ts);
    },
  );
});
