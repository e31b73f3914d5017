import { Kafka } from 'kafkajs';
import { Topics } from '@platform/contracts';
import { createKafka, SafePublisher } from '../src';

export function claim(i: number, campaignId = 'fixture', extra: Partial<Record<string, unknown>> = {}) {
  return {
    eventId: `ev-${i}`,
    campaignId,
    accountId: `acct-${i}`,
    talkLinked: true,
    phoneNumber: '010-1234-5678',
    makersMember: i % 2 === 0,
    requestedAt: new Date().toISOString(),
    ...extra,
  };
}

/** Publishes claim requests (raw JSON, so tests can also send broken ones) through the safe path. */
export class ClaimFeeder {
  readonly kafka: Kafka;
  readonly publisher: SafePublisher;
  constructor(
    brokers: string[],
    private readonly prefix: string,
  ) {
    this.kafka = createKafka({ brokers, clientId: 'feeder' });
    this.publisher = new SafePublisher(this.kafka);
  }
  async send(values: (Record<string, unknown> | string | Buffer)[], headers: Record<string, string> = {}): Promise<void> {
    await this.publisher.publish(
      values.map((v) => {
        const key = typeof v === 'object' && !Buffer.isBuffer(v) ? String(v.accountId) : 'raw';
        const value = Buffer.isBuffer(v) ? v : Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
        return { topic: this.prefix + Topics.claimRequested.name, key, value, headers };
      }),
    );
  }
  close(): Promise<void> {
    return this.publisher.close();
  }
}
