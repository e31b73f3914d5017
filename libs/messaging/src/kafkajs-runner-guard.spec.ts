import { createRequire } from 'node:module';
import { ConsumerStoppedError, guardKafkajsRunner } from './kafkajs-runner-guard';

describe('guardKafkajsRunner', () => {
  it('patches the Runner kafkajs consumers use, once', () => {
    const Runner = createRequire(__filename)('kafkajs/src/consumer/runner') as { prototype: object };
    const proto = guardKafkajsRunner();
    expect(proto).toBe(Runner.prototype);
    const patched = proto.fetch;
    expect(guardKafkajsRunner().fetch).toBe(patched);
  });

  it("a stopped runner's fetch fails instead of returning no batches at once (the fetcher loop would spin)", async () => {
    const proto = guardKafkajsRunner();
    const stopped = Object.assign(Object.create(proto) as { running: boolean; fetch(n: number): Promise<unknown[]> }, { running: false });
    await expect(stopped.fetch(1)).rejects.toBeInstanceOf(ConsumerStoppedError);
  });

  it('a running runner fetches as kafkajs does', async () => {
    const proto = guardKafkajsRunner();
    const calls: number[] = [];
    const running = Object.assign(Object.create(proto) as { running: boolean; fetch(n: number): Promise<unknown[]> }, {
      running: true,
      consumerGroup: {
        fetch: (nodeId: number) => {
          calls.push(nodeId);
          return Promise.resolve([]);
        },
        heartbeat: () => Promise.resolve(),
      },
      instrumentationEmitter: { emit: () => undefined },
      heartbeat: () => Promise.resolve(),
      logger: { debug: () => undefined },
    });
    await expect(running.fetch(2)).resolves.toEqual([]);
    expect(calls).toEqual([2]);
  });
});
