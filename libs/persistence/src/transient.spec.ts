import { isTransientError } from './transient';

const pg = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isTransientError', () => {
  it.each([
    ['08006', 'connection failure'],
    ['57P01', 'admin shutdown'],
    ['57P03', 'cannot connect now'],
    ['57014', 'statement timeout / canceled'],
    ['55P03', 'lock timeout'],
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock'],
    ['53300', 'too many connections'],
    ['53100', 'disk full'],
    ['25006', 'read-only transaction after failover'],
    ['25P03', 'idle in transaction timeout'],
    ['42P01', 'table missing (half-migrated database)'],
    ['42501', 'permission denied'],
    ['58030', 'I/O error'],
  ])('retries SQLSTATE %s (%s)', (code) => {
    expect(isTransientError(pg(code))).toBe(true);
  });

  it.each([
    ['23505', 'unique violation'],
    ['22P02', 'invalid text representation'],
    ['22021', 'invalid byte sequence'],
    ['23502', 'not null violation'],
    ['42703', 'undefined column (a bug in our SQL)'],
  ])('does not retry SQLSTATE %s (%s): a property of the message or a bug', (code) => {
    expect(isTransientError(pg(code))).toBe(false);
  });

  it('retries network errors and pg client timeouts', () => {
    expect(isTransientError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransientError(new Error('Query read timeout'))).toBe(true);
    expect(isTransientError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('retries retriable kafkajs errors, not the ones kafkajs marks final', () => {
    expect(isTransientError(Object.assign(new Error('leader'), { name: 'KafkaJSProtocolError', retriable: true }))).toBe(true);
    expect(isTransientError(Object.assign(new Error('too large'), { name: 'KafkaJSProtocolError', retriable: false }))).toBe(false);
  });

  it('does not retry plain handler errors', () => {
    expect(isTransientError(new Error('poison'))).toBe(false);
    expect(isTransientError(undefined)).toBe(false);
  });
});
