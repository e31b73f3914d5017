import type { Admin } from 'kafkajs';
import { KafkaJSProtocolError } from 'kafkajs';
import { settledTopicOffsets } from './topic-offsets';

const ends = [{ partition: 0, offset: '3', high: '3', low: '0' }];
const protocolError = (type: string, code: number) =>
  new KafkaJSProtocolError({ type, code, retriable: true, message: type } as unknown as Error);

function adminFailing(times: number, err: Error): { admin: Admin; calls: () => number } {
  let calls = 0;
  const admin = {
    fetchTopicOffsets: async () => {
      calls++;
      if (calls <= times) throw err;
      return ends;
    },
  } as unknown as Admin;
  return { admin, calls: () => calls };
}

describe('settledTopicOffsets', () => {
  it('tries again while the partition has no settled leader', async () => {
    const { admin, calls } = adminFailing(2, protocolError('NOT_LEADER_FOR_PARTITION', 6));
    await expect(settledTopicOffsets(admin, 't')).resolves.toEqual(ends);
    expect(calls()).toBe(3);
  });

  it('throws any other error at once', async () => {
    const { admin, calls } = adminFailing(1, protocolError('UNKNOWN_TOPIC_OR_PARTITION', 3));
    await expect(settledTopicOffsets(admin, 't')).rejects.toThrow('UNKNOWN_TOPIC_OR_PARTITION');
    expect(calls()).toBe(1);
  });

  it('gives up at the deadline with the leader error', async () => {
    const { admin } = adminFailing(Number.MAX_SAFE_INTEGER, protocolError('LEADER_NOT_AVAILABLE', 5));
    await expect(settledTopicOffsets(admin, 't', 250)).rejects.toThrow('LEADER_NOT_AVAILABLE');
  });
});
