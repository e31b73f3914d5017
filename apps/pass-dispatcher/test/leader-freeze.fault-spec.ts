import { ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { createTestDatabase, deleteTestTopics, killHard, spawnTs, TestDatabase, waitFor } from '@platform/testing';
import {
  accepted,
  createTopics,
  dbClient,
  Delivery,
  dispatcherEnv,
  expectInOrderExactlyOnce,
  Feeder,
  freePort,
  Sim,
  startSim,
} from './helpers';

jest.setTimeout(180_000);

type Child = ChildProcess & { output: string[] };

/**
 * A frozen leader (SIGSTOP: alive, holding its lock connection, not heartbeating). Postgres ends
 * its idle lock session after LEADER_SESSION_TIMEOUT_MS, the other replica takes over and raises the
 * epoch; when the old leader wakes up (SIGCONT) it still believes it leads for a moment: its sends
 * are duplicates or in order, its watermark writes are fenced, and it stops.
 */
describe('a frozen sender is replaced and fenced', () => {
  const N = 500;
  const campaignId = 'freeze-campaign';
  let db: TestDatabase;
  let prefix: string;
  let sim: Sim;
  let feeder: Feeder;
  let pg: Client;
  const children = new Map<string, Child>();

  beforeAll(async () => {
    db = await createTestDatabase('passes_freeze');
    prefix = await createTopics('passes-freeze');
    sim = await startSim({ SIM_RATE_LIMIT_PER_SECOND: '0', SIM_LATENCY_MEDIAN_MS: '1', SIM_LATENCY_P99_MS: '10' });
    feeder = new Feeder(prefix);
    pg = await dbClient(db);
    pg.on('error', () => undefined);
  });

  afterAll(async () => {
    for (const c of children.values()) {
      c.kill('SIGCONT');
      await killHard(c);
    }
    await feeder?.close();
    await sim?.close();
    await pg?.end();
    await db?.drop();
    if (prefix) await deleteTestTopics(prefix);
  });

  async function startDispatcher(instance: string, group: string): Promise<Child> {
    const port = await freePort();
    const child = spawnTs(
      'apps/pass-dispatcher/src/main.ts',
      dispatcherEnv(db, prefix, {
        PORT: String(port),
        INSTANCE_ID: instance,
        CONSUMER_GROUP: group,
        TALK_CHANNEL_URL: sim.url,
        DISPATCH_RATE_PER_SECOND: '50',
        LEADER_POLL_MS: '300',
        LEADER_SESSION_TIMEOUT_MS: '3000',
      }),
    );
    children.set(instance, child);
    try {
      await waitFor(`${instance} ready`, async () => (await fetch(`http://127.0.0.1:${port}/health/live`)).ok, 60_000, 200);
    } catch (e) {
      throw new Error(`${String(e)}\n${child.output.join('').slice(-3000)}`);
    }
    return child;
  }

  const delivered = async (): Promise<Delivery[]> => (await sim.deliveries()).filter((d) => d.campaignId === campaignId);
  const leader = async () =>
    (
      await pg.query<{ leader_id: string; leader_epoch: string; sent_watermark: number }>(
        'SELECT leader_id, leader_epoch, sent_watermark FROM pass_campaign WHERE campaign_id = $1',
        [campaignId],
      )
    ).rows[0];

  it('takes over after the lock session times out; the woken old leader neither reorders nor doubles', async () => {
    const group = `pass-dispatcher-freeze-${Date.now()}`;
    await Promise.all([startDispatcher('dispatcher-a', group), startDispatcher('dispatcher-b', group)]);
    await feeder.send(
      'claimDecided',
      Array.from({ length: N }, (_, i) => accepted(i, { campaignId })),
    );
    await waitFor('under way', async () => (await delivered()).length >= 100, 60_000, 100);
    const before = await leader();
    if (!before) throw new Error('no leader');
    const frozen = children.get(before.leader_id);
    if (!frozen) throw new Error(`unknown leader ${before.leader_id}`);
    frozen.kill('SIGSTOP');
    const frozenAt = Date.now();
    // As if frozen inside a watermark commit: the campaign row stays locked for longer than the lock
    // session's idle timeout, so the takeover UPDATE waits behind it. The new leader's lock session
    // must stay alive through that wait (it once was ended as idle, and leadership flapped).
    const rowHolder = await dbClient(db);
    await rowHolder.query('BEGIN');
    await rowHolder.query('SELECT 1 FROM pass_campaign WHERE campaign_id = $1 FOR UPDATE', [campaignId]);
    const rowReleased = new Promise<void>((resolve) =>
      setTimeout(() => {
        rowHolder
          .query('COMMIT')
          .catch(() => undefined)
          .finally(() => {
            void rowHolder.end().then(resolve, resolve);
          });
      }, 7000),
    );
    const after = await waitFor(
      'takeover',
      async () => {
        const l = await leader();
        return l && l.leader_id !== before.leader_id ? l : null;
      },
      30_000,
      100,
    );
    const tookMs = Date.now() - frozenAt;
    await rowReleased;
    expect(Number(after.leader_epoch)).toBeGreaterThan(Number(before.leader_epoch));
    // not before the row holder let go (7 s, after Postgres ended the frozen session at 3 s), and not much later
    expect(tookMs).toBeGreaterThanOrEqual(6500);
    expect(tookMs).toBeLessThan(20_000);
    await waitFor('new leader progressing', async () => ((await leader())?.sent_watermark ?? 0) > before.sent_watermark + 50, 30_000, 100);

    frozen.kill('SIGCONT');
    await waitFor('all delivered and committed', async () => (await leader())?.sent_watermark === N, 60_000, 200);
    expectInOrderExactlyOnce(await delivered(), campaignId, N);
    const final = await leader();
    expect(final?.leader_id).toBe(after.leader_id);
    expect(final?.leader_epoch).toBe(after.leader_epoch);
    console.log(`frozen leader replaced after ${tookMs} ms; channel duplicates: ${(await sim.stats()).duplicates}`);
  });
});
