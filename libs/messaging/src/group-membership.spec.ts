import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { classifyGroupError, GroupMembershipWatch } from './group-membership';

const protocol = (type: string): Error => Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type });

describe('classifyGroupError', () => {
  it.each(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID'])('%s needs a rejoin', (t) => {
    expect(classifyGroupError(protocol(t))).toBe('rejoin');
  });

  it('looks through the retry wrapper kafkajs puts around a commit', () => {
    const wrapped = new KafkaJSNumberOfRetriesExceeded(protocol('NOT_COORDINATOR_FOR_GROUP'), { retryCount: 12, retryTime: 5000 });
    expect(classifyGroupError(wrapped)).toBe('rejoin');
  });

  it('a dead or loading coordinator is unreachable', () => {
    expect(classifyGroupError(new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:29092'))).toBe('coordinator-unreachable');
    expect(classifyGroupError(Object.assign(new Error('Broker 2 not found'), { name: 'KafkaJSBrokerNotFound' }))).toBe(
      'coordinator-unreachable',
    );
    expect(classifyGroupError(protocol('COORDINATOR_LOAD_IN_PROGRESS'))).toBe('coordinator-unreachable');
  });

  it('anything else is not a group problem', () => {
    expect(classifyGroupError(new Error('boom'))).toBe('other');
    expect(classifyGroupError(protocol('OFFSET_METADATA_TOO_LARGE'))).toBe('other');
    expect(classifyGroupError(undefined)).toBe('other');
  });
});

describe('GroupMembershipWatch', () => {
  it('rethrows a rebalancing error as is, so kafkajs rejoins', () => {
    const e = Object.assign(new KafkaJSProtocolError('The group is rebalancing'), { type: 'REBALANCE_IN_PROGRESS' });
    expect(new GroupMembershipWatch().failed(e, 0)).toBe(e);
  });

  it('turns a wrapped rebalancing error into one kafkajs recognises', () => {
    const wrapped = new KafkaJSNumberOfRetriesExceeded(protocol('NOT_COORDINATOR_FOR_GROUP'), { retryCount: 1, retryTime: 1 });
    const out = new GroupMembershipWatch().failed(wrapped, 0);
    expect(out).toMatchObject({ name: 'KafkaJSError', type: 'NOT_COORDINATOR_FOR_GROUP' });
  });

  it('tolerates an unreachable coordinator for a while, then asks for a rejoin', () => {
    const w = new GroupMembershipWatch(3000);
    const down = new KafkaJSConnectionError('connect ECONNREFUSED');
    expect(w.failed(down, 1000)).toBeNull();
    expect(w.failed(down, 3999)).toBeNull();
    const out = w.failed(down, 4000);
    expect(out).toMatchObject({ type: 'NOT_COORDINATOR_FOR_GROUP' });
    expect(out?.message).toContain('unreachable for 3 s');
    // the clock starts again after the rejoin was asked for
    expect(w.failed(down, 4500)).toBeNull();
  });

  it('a success in between resets the clock (a blip is not an outage)', () => {
    const w = new GroupMembershipWatch(3000);
    const down = new KafkaJSConnectionError('connect ECONNREFUSED');
    expect(w.failed(down, 0)).toBeNull();
    w.succeeded();
    expect(w.failed(down, 3500)).toBeNull();
    expect(w.failed(down, 6500)).not.toBeNull();
  });

  it('other failures never ask for a rejoin', () => {
    const w = new GroupMembershipWatch(0);
    expect(w.failed(new Error('boom'), 10_000)).toBeNull();
  });
});
