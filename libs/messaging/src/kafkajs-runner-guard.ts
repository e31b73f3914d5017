// kafkajs 2.2.4 (unmaintained) rebuilds a consumer's fetchers whenever the broker set changes. If
// the consumer is stopped in that window, the new fetchers call a runner that is no longer
// running, its fetch() returns [] at once, and they spin on microtasks forever: the process stops
// answering anything, /health/live included (zone drill, 2026-12-03; the family of
// tulios/kafkajs#1384 and #1387). Making a stopped runner's fetch fail instead ends those fetchers;
// the runner's own retry then sees it is stopped and finishes like any stop.
import { createRequire } from 'node:module';

interface RunnerLike {
  running: boolean;
  fetch(nodeId: number): Promise<unknown[]>;
}

export class ConsumerStoppedError extends Error {
  constructor() {
    super('the consumer is stopping: no more fetches');
    this.name = 'ConsumerStoppedError';
  }
}

const GUARDED = Symbol.for('platform.kafkajs.runnerGuard');

/** Patches kafkajs's consumer Runner once per process; returns the patched prototype (for tests). */
export function guardKafkajsRunner(): RunnerLike {
  const Runner = createRequire(__filename)('kafkajs/src/consumer/runner') as { prototype: RunnerLike & { [GUARDED]?: true } };
  const proto = Runner.prototype;
  if (proto[GUARDED]) return proto;
  const fetch = proto.fetch;
  if (typeof fetch !== 'function') throw new Error('kafkajs Runner.fetch not found: check the runner guard against this kafkajs version');
  proto.fetch = async function guardedFetch(this: RunnerLike, nodeId: number): Promise<unknown[]> {
    if (!this.running) throw new ConsumerStoppedError();
    return fetch.call(this, nodeId);
  };
  proto[GUARDED] = true;
  return proto;
}
