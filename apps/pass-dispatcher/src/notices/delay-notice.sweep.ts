import { Inject, Injectable, Logger } from '@nestjs/common';
import { SweepScheduler } from '@platform/messaging';
import { PASS_DISPATCHER_CONFIG } from '../tokens';
import type { PassDispatcherConfig } from '../config';
import { DelayNoticeService } from './delay-notice.service';

/** Runs the delay-notice estimator every ESTIMATOR_INTERVAL_MS and the watchdog every WATCHDOG_INTERVAL_MS (DelayNoticeService). */
@Injectable()
export class DelayNoticeSweep {
  private readonly log = new Logger('DelayNotices');

  constructor(@Inject(PASS_DISPATCHER_CONFIG) config: PassDispatcherConfig, notices: DelayNoticeService, sweeps: SweepScheduler) {
    sweeps.every({ name: 'delay-notice estimator', everyMs: config.ESTIMATOR_INTERVAL_MS, log: this.log }, () => notices.estimateOnce());
    sweeps.every({ name: 'delay-notice watchdog', everyMs: config.WATCHDOG_INTERVAL_MS, log: this.log }, () => notices.watchdogOnce());
  }
}
