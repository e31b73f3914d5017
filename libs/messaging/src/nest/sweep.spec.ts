import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SweepRun, SweepScheduler, SweepTask } from './sweep';

/** A run the test finishes by hand: proves what happens while one is in flight. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function quietLog(context = 'TestSweep'): Logger & { warn: jest.Mock } {
  const log = new Logger(context);
  const warn = jest.fn();
  log.warn = warn;
  return Object.assign(log, { warn });
}

describe('SweepTask', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs once per period, not before the first one has passed', async () => {
    const run = jest.fn<Promise<void>, [AbortSignal]>(() => Promise.resolve());
    const task = new SweepTask({ name: 'coupon expiry', everyMs: 1000, log: quietLog() }, run);
    task.start();
    await jest.advanceTimersByTimeAsync(999);
    expect(run).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(run).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(2000);
    expect(run).toHaveBeenCalledTimes(3);
    expect(task.status()).toMatchObject({ runs: 3, failures: 0, running: false });
    await task.stop();
  });

  it('never overlaps runs: ticks while one is in flight are skipped, the next tick after it ends runs', async () => {
    const slow = deferred();
    let calls = 0;
    const task = new SweepTask({ name: 'pass expiry', everyMs: 100, log: quietLog() }, () =>
      ++calls === 1 ? slow.promise : Promise.resolve(),
    );
    task.start();
    await jest.advanceTimersByTimeAsync(550); // ticks at 100..500: only the first started a run
    expect(calls).toBe(1);
    expect(task.status().running).toBe(true);
    slow.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(task.status().running).toBe(false);
    await jest.advanceTimersByTimeAsync(50); // the tick at 600
    expect(calls).toBe(2);
    await task.stop();
  });

  it('logs and counts a failing run under the owner’s log context, and the next tick tries again', async () => {
    const log = quietLog('CouponExpiry');
    let calls = 0;
    const task = new SweepTask({ name: 'coupon expiry', everyMs: 100, log }, () => {
      calls++;
      if (calls === 1) return Promise.reject(new Error('database gone'));
      if (calls === 2) throw new Error('thrown before any promise'); // a synchronous throw does not kill the loop either
      return Promise.resolve();
    });
    task.start();
    await jest.advanceTimersByTimeAsync(300);
    expect(calls).toBe(3);
    expect(log.warn).toHaveBeenCalledTimes(2);
    expect(log.warn).toHaveBeenNthCalledWith(1, 'coupon expiry failed (next run retries): Error: database gone');
    expect(task.status()).toMatchObject({ runs: 3, failures: 2, lastError: 'Error: thrown before any promise' });
    await task.stop();
  });

  it('stop() tells the run in flight it is stopping, waits for it, and nothing runs after it', async () => {
    const slow = deferred();
    const seen: AbortSignal[] = [];
    const run: SweepRun = (stopping) => {
      seen.push(stopping);
      return slow.promise;
    };
    const task = new SweepTask({ name: 'watchdog', everyMs: 100, log: quietLog() }, run);
    task.start();
    await jest.advanceTimersByTimeAsync(100);
    let stopped = false;
    const stopping = task.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(1000);
    expect(stopped).toBe(false);
    expect(seen[0]?.aborted).toBe(true);
    slow.resolve();
    await stopping;
    await task.runNow();
    task.start();
    await jest.advanceTimersByTimeAsync(1000);
    expect(seen).toHaveLength(1);
  });

  it('with everyMs 0 never runs on its own, but runNow() still runs it', async () => {
    const run = jest.fn(() => Promise.resolve());
    const task = new SweepTask({ name: 'emoticon expiry', everyMs: 0, log: quietLog() }, run);
    task.start();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(run).not.toHaveBeenCalled();
    await task.runNow();
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('runNow() during a run waits for that run instead of starting a second one', async () => {
    const slow = deferred();
    const run = jest.fn(() => slow.promise);
    const task = new SweepTask({ name: 'leadership', everyMs: 0, log: quietLog() }, run);
    const first = task.runNow();
    let secondDone = false;
    const second = task.runNow().then(() => (secondDone = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(secondDone).toBe(false);
    slow.resolve();
    await Promise.all([first, second]);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('runAtStart runs at once, then once per period', async () => {
    const run = jest.fn(() => Promise.resolve());
    const task = new SweepTask({ name: 'leadership', everyMs: 1000, log: quietLog(), runAtStart: true }, run);
    task.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(run).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1000);
    expect(run).toHaveBeenCalledTimes(2);
    await task.stop();
  });
});

describe('SweepTask timers', () => {
  it('are unref’d: a sweep never keeps a process alive on its own', async () => {
    const spy = jest.spyOn(global, 'setTimeout');
    try {
      const task = new SweepTask({ name: 'coupon expiry', everyMs: 60_000, log: quietLog() }, () => Promise.resolve());
      task.start();
      const timer = spy.mock.results.at(-1)?.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      await task.stop();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('SweepScheduler in a Nest application', () => {
  /** A sweep as the services write one: registered in the constructor, its state read at shutdown. */
  @Injectable()
  class ReminderSweep implements BeforeApplicationShutdown {
    readonly runs: { stopping: AbortSignal; finish: () => void }[] = [];
    runningAtBeforeShutdown: boolean | null = null;
    readonly task: SweepTask;

    constructor(sweeps: SweepScheduler) {
      this.task = sweeps.every({ name: 'reminders', everyMs: 50, log: quietLog() }, (stopping) => {
        const d = deferred();
        this.runs.push({ stopping, finish: d.resolve });
        return d.promise;
      });
    }

    beforeApplicationShutdown(): void {
      this.runningAtBeforeShutdown = this.task.status().running;
    }
  }

  async function boot() {
    const moduleRef = await Test.createTestingModule({ providers: [SweepScheduler, ReminderSweep] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    return { app, sweep: app.get(ReminderSweep), scheduler: app.get(SweepScheduler) };
  }

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('starts the registered sweeps at bootstrap, not before', async () => {
    const { app, sweep } = await boot();
    await jest.advanceTimersByTimeAsync(500);
    expect(sweep.runs).toHaveLength(0);
    await app.init();
    await jest.advanceTimersByTimeAsync(50);
    expect(sweep.runs).toHaveLength(1);
    sweep.runs[0]?.finish();
    await app.close();
  });

  it('on close waits for the run in flight, before any beforeApplicationShutdown hook (consumers and relay stop later)', async () => {
    const { app, sweep, scheduler } = await boot();
    await app.init();
    await jest.advanceTimersByTimeAsync(50);
    let closed = false;
    const closing = app.close().then(() => (closed = true));
    await jest.advanceTimersByTimeAsync(500);
    expect(closed).toBe(false);
    expect(sweep.runs).toHaveLength(1);
    expect(sweep.runs[0]?.stopping.aborted).toBe(true);
    sweep.runs[0]?.finish();
    await closing;
    expect(sweep.runningAtBeforeShutdown).toBe(false);
    expect(scheduler.status()).toEqual([expect.objectContaining({ name: 'reminders', runs: 1, running: false })]);
    // registered during shutdown: never runs
    const late = jest.fn(() => Promise.resolve());
    scheduler.every({ name: 'late', everyMs: 10, log: quietLog() }, late);
    await jest.advanceTimersByTimeAsync(100);
    expect(late).not.toHaveBeenCalled();
  });
});
