import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { classifyGroupError, CoordinatorContact, GroupMembershipWatch } from './group-membership';

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

  it('notices a rejoin that kafkajs ignored: batches still come after the grace, with no rebalance', () => {
    const w = new GroupMembershipWatch(3000, 4000);
    const down = new KafkaJSConnectionError('connect ECONNREFUSED');
    w.failed(down, 0);
    expect(w.failed(down, 3000)).not.toBeNull(); // the rejoin is asked for at 3 s
    expect(w.rejoinIgnored(6999)).toBe(false);
    expect(w.rejoinIgnored(7000)).toBe(true);
    expect(w.pendingSeconds(7000)).toBe(4);
  });

  it('a rebalance or a join clears the pending rejoin', () => {
    const w = new GroupMembershipWatch(3000, 4000);
    const e = Object.assign(new KafkaJSProtocolError('The group is rebalancing'), { type: 'REBALANCE_IN_PROGRESS' });
    w.failed(e, 0);
    w.rejoined();
    expect(w.rejoinIgnored(60_000)).toBe(false);
    // a second ask starts its own grace
    w.failed(e, 60_000);
    expect(w.rejoinIgnored(63_000)).toBe(false);
    expect(w.rejoinIgnored(64_000)).toBe(true);
  });

  it('nothing is pending while no rejoin was asked for', () => {
    const w = new GroupMembershipWatch(3000, 4000);
    w.failed(new Error('boom'), 0);
    w.failed(new KafkaJSConnectionError('connect ECONNREFUSED'), 1000);
    expect(w.rejoinIgnored(100_000)).toBe(false);
  });
});

describe('CoordinatorContact', () => {
  it('is never silent while the first join is under way', () => {
    const c = new CoordinatorContact(0);
    expect(c.silentTooLong(60_000, 6000)).toBeNull();
  });

  it('counts silence from the join or the last heartbeat or commit, up to the session timeout', () => {
    const c = new CoordinatorContact(0);
    c.joined(1000);
    expect(c.silentTooLong(6999, 6000)).toBeNull();
    expect(c.silentTooLong(7000, 6000)).toBe(6000);
    c.reached(7500);
    expect(c.silentTooLong(13_000, 6000)).toBeNull();
    expect(c.silentTooLong(13_600, 6000)).toBe(6100);
  });

  it('a rejoin in progress is not silence, and the clock restarts when it completes', () => {
    const c = new CoordinatorContact(0);
    c.joined(0);
    c.joining(5000);
    expect(c.silentTooLong(30_000, 6000)).toBeNull();
    c.joined(30_000);
    expect(c.silentTooLong(35_000, 6000)).toBeNull();
    expect(c.silentTooLong(36_000, 6000)).toBe(6000);
  });
});
