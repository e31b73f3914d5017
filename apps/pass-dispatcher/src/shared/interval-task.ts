import { Logger } from '@nestjs/common';

/**
 * Runs `fn` every `intervalMs` (0: never), one run at a time; a failing run is logged and the next
 * one tries again. `stop()` waits for the run in flight.
 */
export class IntervalTask {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly fn: () => Promise<unknown>,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  /** Runs now unless a run is in flight (then that run is awaited instead). */
  async runNow(): Promise<void> {
    this.tick();
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.fn()
      .then(() => undefined)
      .catch((e: unknown) => this.log.warn(`run failed (next run retries): ${String(e)}`))
      .finally(() => {
        this.running = null;
      });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
