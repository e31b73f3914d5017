import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Counter, Histogram, metrics } from '@opentelemetry/api';

export interface SweepOptions {
  /** What the task does, in a few words ('coupon expiry'): the `sweep` label of its metrics and the subject of its log lines. */
  name: string;
  /** A run starts every this many ms (a tick while one is still running is skipped); 0 or less: never on its own. */
  everyMs: number;
  /** The owner's logger: failures are logged under its context, which dashboards and tests filter on. */
  log: Logger;
  /** First run right after bootstrap instead of one period later. */
  runAtStart?: boolean;
}

/** One run. `stopping` is aborted when shutdown begins: a run of many batches may end early between two of them. */
export type SweepRun = (stopping: AbortSignal) => Promise<unknown>;

export interface SweepStatus {
  name: string;
  everyMs: number;
  running: boolean;
  runs: number;
  failures: number;
  lastError: string | null;
}

interface SweepMetrics {
  runs: Counter;
  durationMs: Histogram;
}

let instruments: SweepMetrics | null = null;

/** Created lazily, like messagingMetrics(), so they bind to whichever meter provider telemetry registered. */
function sweepMetrics(): SweepMetrics {
  if (instruments) return instruments;
  const meter = metrics.getMeter('platform-messaging');
  instruments = {
    runs: meter.createCounter('messaging_sweep_runs', { description: 'Interval task runs, by sweep and outcome (ok, failed)' }),
    durationMs: meter.createHistogram('messaging_sweep_duration_ms', { description: 'Interval task run time, by sweep', unit: 'ms' }),
  };
  return instruments;
}

/**
 * Interval work (expiry, reminders, watchdogs, leadership rounds): `run` every `everyMs`, one run at
 * a time. A failing run is logged and counted, and the next tick tries again; the loop never dies
 * of it. The timer is unref'd (it never keeps a process alive on its own), and `stop()` waits for
 * the run in flight, so its transaction commits or rolls back before the database closes.
 */
export class SweepTask {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private readonly stopping = new AbortController();
  private stats = { runs: 0, failures: 0, lastError: null as string | null };

  constructor(
    readonly options: SweepOptions,
    private readonly run: SweepRun,
  ) {}

  /** Starts the timer (once; never after stop(), never with everyMs <= 0). */
  start(): void {
    if (this.options.everyMs <= 0 || this.timer || this.stopping.signal.aborted) return;
    this.schedule(this.options.runAtStart ? 0 : this.options.everyMs);
  }

  /** Runs now unless a run is in flight (then waits for that one instead): runs never overlap. Nothing after stop(). */
  async runNow(): Promise<void> {
    this.tick();
    await this.inFlight;
  }

  /** Stops the timer, tells the run in flight it is stopping, and waits for it. */
  async stop(): Promise<void> {
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  status(): SweepStatus {
    return { name: this.options.name, everyMs: this.options.everyMs, running: this.inFlight !== null, ...this.stats };
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.tick();
      // a fixed rate: the next tick is one period after this one, whether or not this run is still going
      if (this.timer) this.schedule(this.options.everyMs);
    }, delayMs);
    this.timer.unref();
  }

  private tick(): void {
    if (this.inFlight || this.stopping.signal.aborted) return;
    const { name, log } = this.options;
    const started = performance.now();
    const done = (outcome: 'ok' | 'failed') => {
      this.stats.runs++;
      sweepMetrics().runs.add(1, { sweep: name, outcome });
      sweepMetrics().durationMs.record(performance.now() - started, { sweep: name });
    };
    this.inFlight = Promise.resolve()
      .then(() => this.run(this.stopping.signal))
      .then(
        () => done('ok'),
        (e: unknown) => {
          this.stats.failures++;
          this.stats.lastError = String(e);
          done('failed');
          log.warn(`${name} failed (next run retries): ${String(e)}`);
        },
      )
      .finally(() => {
        this.inFlight = null;
      });
  }
}

/**
 * Where a service's interval tasks are registered (`sweeps.every(...)` in a provider's constructor):
 * all start at application bootstrap and stop in onModuleDestroy, which Nest calls before any
 * beforeApplicationShutdown hook. So the sweeps are done before the consumers stop and the outbox
 * relay drains, and what their last runs wrote is published at shutdown.
 */
@Injectable()
export class SweepScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly tasks: SweepTask[] = [];
  private phase: 'registering' | 'started' | 'stopped' = 'registering';

  /** Registers `run` as an interval task; it starts with the application (at once if the application runs already). */
  every(options: SweepOptions, run: SweepRun): SweepTask {
    const task = new SweepTask(options, run);
    this.tasks.push(task);
    if (this.phase === 'started') task.start();
    else if (this.phase === 'stopped') void task.stop(); // shutting down: it never runs
    return task;
  }

  /** Every registered task, for health and ops pages. */
  status(): SweepStatus[] {
    return this.tasks.map((t) => t.status());
  }

  onApplicationBootstrap(): void {
    this.phase = 'started';
    for (const t of this.tasks) t.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.phase = 'stopped';
    await Promise.all(this.tasks.map((t) => t.stop()));
  }
}
