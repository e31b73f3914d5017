import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { CampaignRewards, PayloadOf, Topics } from '@platform/contracts';
import { createKafka, SafePublisher, settledTopicOffsets } from '@platform/messaging';
import { testKafka, uniqueSuffix, waitFor } from '@platform/testing';

type Requested = PayloadOf<'claimRequested'>;
type Verdict =
  { status: 'ACCEPTED'; rewards?: CampaignRewards } | { status: 'REJECTED'; reason: NonNullable<PayloadOf<'claimDecided'>['reason']> };

/**
 * Stands in for the claims service (apps may not import each other): reads
 * compensation.claim.requested.v1 under the test prefix in its own consumer group, counts every
 * event per eventId, and answers each new eventId once on compensation.claim.decided.v1. Paused,
 * it reads nothing, so its group's lag grows as the real one would.
 */
export class FakeClaims {
  readonly groupId = `fake-claims-${uniqueSuffix()}`;
  /** Every claim event seen, per eventId (a retry storm must leave exactly one each). */
  readonly seen = new Map<string, Requested[]>();
  private consumer: Consumer | null = null;
  /** Next offset to read, per partition of the claims topic. */
  private readonly consumed = new Map<number, bigint>();
  private readonly publisher: SafePublisher;

  constructor(
    private readonly prefix: string,
    private readonly brokers: string[],
    private readonly verdict: (c: Requested) => Verdict = () => ({ status: 'ACCEPTED' }),
  ) {
    this.publisher = new SafePublisher(createKafka({ brokers, clientId: 'fake-claims' }));
  }

  get topic(): string {
    return this.prefix + Topics.claimRequested.name;
  }

  async start(): Promise<this> {
    const consumer = testKafka(this.brokers).consumer({ groupId: this.groupId, maxWaitTimeInMs: 50 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        const decisions = [];
        for (const m of batch.messages) {
          const c = JSON.parse(m.value?.toString('utf8') ?? 'null') as Requested;
          const list = this.seen.get(c.eventId) ?? [];
          list.push(c);
          this.seen.set(c.eventId, list);
          if (list.length > 1) continue; // one decision per eventId, as the real service
          const v = this.verdict(c);
          const d: PayloadOf<'claimDecided'> = {
            claimId: randomUUID(),
            eventId: c.eventId,
            campaignId: c.campaignId,
            accountId: c.accountId,
            ...v,
            decidedAt: new Date().toISOString(),
            requestedAt: c.requestedAt,
            makersMember: c.makersMember,
          };
          decisions.push({
            topic: this.prefix + Topics.claimDecided.name,
            key: c.accountId,
            value: Buffer.from(JSON.stringify(d)),
            headers: {},
          });
        }
        if (decisions.length > 0) await this.publisher.publish(decisions);
        for (const m of batch.messages) resolveOffset(m.offset);
        const last = batch.messages[batch.messages.length - 1];
        if (last) this.consumed.set(batch.partition, BigInt(last.offset) + 1n);
        await heartbeat();
      },
    });
    return this;
  }

  /** Waits until everything on the claims topic now has been read (an absence check then holds). */
  async caughtUp(timeoutMs = 30_000): Promise<void> {
    const admin = testKafka(this.brokers).admin();
    await admin.connect();
    try {
      const ends = await settledTopicOffsets(admin, this.topic);
      await waitFor(
        `fake claims caught up on ${this.topic}`,
        () => ends.every((p) => BigInt(p.high) === 0n || (this.consumed.get(p.partition) ?? 0n) >= BigInt(p.high)),
        timeoutMs,
        50,
      );
    } finally {
      await admin.disconnect();
    }
  }

  pause(): void {
    this.consumer?.pause([{ topic: this.topic }]);
  }

  resume(): void {
    this.consumer?.resume([{ topic: this.topic }]);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.publisher.close();
  }
}
