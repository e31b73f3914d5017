import { Counter, Histogram, metrics } from '@opentelemetry/api';

export interface MessagingMetrics {
  consumed: Counter;
  deadLettered: Counter;
  deferred: Counter;
  published: Counter;
  quarantined: Counter;
  parked: Counter;
  parkFailures: Counter;
  offsetRebinds: Counter;
  transientFailures: Counter;
  batchSize: Histogram;
  batchDurationMs: Histogram;
}

let instance: MessagingMetrics | null = null;

/** Instruments are created lazily so they bind to whichever meter provider telemetry registered. */
export function messagingMetrics(): MessagingMetrics {
  if (instance) return instance;
  const meter = metrics.getMeter('platform-messaging');
  instance = {
    consumed: meter.createCounter('messaging_consumed_messages', { description: 'Messages handled and committed' }),
    deadLettered: meter.createCounter('messaging_dead_lettered_messages', { description: 'Messages parked in a DLQ' }),
    deferred: meter.createCounter('messaging_deferred_messages', { description: 'Messages deferred for a later retry' }),
    published: meter.createCounter('messaging_published_messages', { description: 'Outbox rows acknowledged by Kafka' }),
    quarantined: meter.createCounter('messaging_outbox_quarantined_records', {
      description: 'Outgoing records Kafka refuses (too large, invalid), moved to outbox_quarantine',
    }),
    parked: meter.createCounter('messaging_last_resort_parked_messages', {
      description: 'Messages whose dead letter could not be written, kept in parked_message',
    }),
    parkFailures: meter.createCounter('messaging_park_failures', {
      description: 'Messages that could be neither handled, dead-lettered nor parked (the partition halts)',
    }),
    offsetRebinds: meter.createCounter('messaging_offset_rebinds', {
      description: 'Stored offsets that no longer matched the topic (recreated topic, other cluster) and were rebound',
    }),
    transientFailures: meter.createCounter('messaging_transient_failures', {
      description: 'Chunk attempts that failed for a transient reason and were retried',
    }),
    batchSize: meter.createHistogram('messaging_batch_size', { description: 'Messages per consumer transaction' }),
    batchDurationMs: meter.createHistogram('messaging_batch_duration_ms', { description: 'Consumer transaction time', unit: 'ms' }),
  };
  return instance;
}
