/** A message on its way to Kafka, as stored in the outbox. */
export interface OutgoingRecord {
  /** Full topic name (prefix included). */
  topic: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
  sourceTimestamp: 'dlq-source-timestamp',
  consumerGroup: 'dlq-consumer-group',
  failedAt: 'dlq-failed-at',
} as const;
