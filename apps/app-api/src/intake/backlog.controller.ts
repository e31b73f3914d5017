import { Controller, Get } from '@nestjs/common';
import { Roles } from '@platform/auth';
import { BacklogSnapshot, BacklogSweep } from './backlog.sweep';

@Controller('v1/intake')
export class BacklogController {
  constructor(private readonly monitor: BacklogSweep) {}

  /** The queues behind the front door as last measured, their bounds and drain rates, and how many claims were refused. */
  @Get('backlog')
  @Roles('reader', 'ops')
  backlog(): BacklogSnapshot {
    return this.monitor.snapshot();
  }
}
