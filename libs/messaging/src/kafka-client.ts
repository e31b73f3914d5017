import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, KafkaConfig, logLevel, LogEntry, SASLOptions } from 'kafkajs';
import { Logger } from '@nestjs/common';
import type { KafkaSecurityEnv } from '@platform/config';

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  /** SASL/TLS settings from validated config (kafkaSecurityEnv); absent: PLAINTEXT. */
  security?: Partial<KafkaSecurityEnv>;
}

/**
 * kafkajs' `sasl`/`ssl` options from the validated settings. Files (password, CA, client
 * certificate) are read here, once per client; a SASL protocol without a user name or password
 * is a configuration error, not a silent anonymous connection.
 */
export function kafkaSecurityOptions(s: Partial<KafkaSecurityEnv> = {}): Pick<KafkaConfig, 'sasl' | 'ssl'> {
  const protocol = s.KAFKA_SECURITY_PROTOCOL ?? 'PLAINTEXT';
  const out: Pick<KafkaConfig, 'sasl' | 'ssl'> = {};
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const tls: ConnectionOptions = {};
    if (s.KAFKA_TLS_CA_FILE) tls.ca = [readFileSync(s.KAFKA_TLS_CA_FILE, 'utf8')];
    if (s.KAFKA_TLS_CERT_FILE) tls.cert = readFileSync(s.KAFKA_TLS_CERT_FILE, 'utf8');
    if (s.KAFKA_TLS_KEY_FILE) tls.key = readFileSync(s.KAFKA_TLS_KEY_FILE, 'utf8');
    out.ssl = Object.keys(tls).length > 0 ? tls : true;
  }
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const username = s.KAFKA_SASL_USERNAME;
    const password =
      s.KAFKA_SASL_PASSWORD ?? (s.KAFKA_SASL_PASSWORD_FILE ? readFileSync(s.KAFKA_SASL_PASSWORD_FILE, 'utf8').trim() : undefined);
    if (!username || !password) {
      throw new Error(
        `Invalid configuration:\n  KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or _FILE) are required with KAFKA_SECURITY_PROTOCOL=${protocol}`,
      );
    }
    out.sasl = { mechanism: s.KAFKA_SASL_MECHANISM ?? 'scram-sha-512', username, password } as SASLOptions;
  }
  return out;
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
    ...kafkaSecurityOptions(o.security),
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
        // kafkajs does not always log a string message; a throw here would fail its caller's request
        if (typeof message === 'string' && message.startsWith('Limiting retries for the idempotent producer')) return;
        const method = levels[level] ?? 'log';
        logger[method](`${String(message)} ${JSON.stringify(extra)}`);
      },
  });
}
