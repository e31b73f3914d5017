import { Kafka, logLevel, LogEntry } from 'kafkajs';
import { Logger } from '@nestjs/common';

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
}

const levels: Record<number, 'error' | 'warn' | 'log' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'log',
  [logLevel.DEBUG]: 'debug',
};

/** One kafkajs client per process, logging through Nest's logger (warnings and errors only). */
export function createKafka(o: KafkaClientOptions): Kafka {
  const logger = new Logger(`kafkajs:${o.clientId}`);
  return new Kafka({
    clientId: o.clientId,
    brokers: o.brokers,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    // Reconnect for as long as it takes: a broker outage must stall us, never make us give up.
    retry: { initialRetryTime: 200, maxRetryTime: 5000, retries: 12 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        // Bounded retries are deliberate: a failed publish resets the producer (new producer id)
        // and the outbox keeps the rows, so the EoS caveat kafkajs warns about does not apply.
        if (message.startsWith('Limiting retries for the idempotent producer')) return;
        const method = levels[level] ?? 'log';
        logger[method](`${message} ${JSON.stringify(extra)}`);
      },
  });
}
