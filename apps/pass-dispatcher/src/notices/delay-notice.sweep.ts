import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { PASS_DISPATCHER_CONFIG } from '../tokens';
import type { PassDispatcherConfig } from '../config';
import { IntervalTask } from '../shared/interval-task';
import { DelayNoticeService } from './delay-notice.service';

/** Runs the delay-notice estimator every ESTIMATOR_INTERVAL_MS and the watchdog every WATCHDOG_INTERVAL_MS (DelayNoticeService). */
@Injectable()
export class DelayNoticeSweep implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('DelayNotices');
  private readonly estimator: IntervalTask;
  private readonly watchdog: IntervalTask;

  constructor(@Inject(PASS_DISPATCHER_CONFIG) config: PassDispatcherConfig, notices: DelayNoticeService) {
    this.estimator = new IntervalTask(this.log, config.ESTIMATOR_INTERVAL_MS, () => notices.estimateOnce());
    this.watchdog = new IntervalTask(this.log, config.WATCHDOG_INTERVAL_MS, () => notices.watchdogOnce());
  }

  onApplicationBootstrap(): void {
    this.estimator.start();
    this.watchdog.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.estimator.stop(), this.watchdog.stop()]);
  }
}
