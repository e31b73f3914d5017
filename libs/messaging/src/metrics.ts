import { Counter, Histogram, metrics } from '@opentelemetry/api';

export interface MessagingMetrics {
  consumed: Counter;
  deadLettered: Counter;
  deferred: Counter;
  published: Counter;
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
    batchSize: meter.createHistogram('messaging_batch_size', { description: 'Messages per consumer transaction' }),
    batchDurationMs: meter.createHistogram('messaging_batch_duration_ms', { description: 'Consumer transaction time', unit: 'ms' }),
  };
  return instance;
}
