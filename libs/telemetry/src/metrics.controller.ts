import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Roles } from '@platform/auth';
import { currentTelemetry } from './setup';

/** Prometheus text format of the process's OpenTelemetry metrics. */
@Controller()
export class MetricsController {
  @Get('metrics')
  @Roles('reader', 'ops')
  async metrics(@Res() res: Response): Promise<void> {
    const t = currentTelemetry();
    if (!t) {
      res.status(503).send('# telemetry not started\n');
      return;
    }
    const { resourceMetrics, errors } = await t.prometheus.collect();
    if (errors.length) res.setHeader('x-metrics-errors', String(errors.length));
    const { PrometheusSerializer } = await import('@opentelemetry/exporter-prometheus');
    res.type('text/plain; version=0.0.4').send(new PrometheusSerializer().serialize(resourceMetrics));
  }
}
