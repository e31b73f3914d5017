// A process that starts telemetry from its environment (OTEL_*), records a span, prints "ready"
// and waits for SIGTERM: otlp.spec.ts checks that the span reaches the collector at shutdown.
// (The OTLP exporter loads modules dynamically, which jest's module system does not allow.)
import { Module } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { createObservedApp, startTelemetry } from '../src';

startTelemetry({ serviceName: 'probe', zipkinUrl: 'http://127.0.0.1:1/api/v2/spans' });

@Module({})
class Probe {}

void (async () => {
  const app = await createObservedApp(Probe, { service: 'probe', level: 'warn' });
  app.enableShutdownHooks();
  await app.init();
  trace.getTracer('probe').startSpan('decide chunk before SIGTERM').end();
  process.stdout.write('ready\n');
  setInterval(() => undefined, 60_000);
})();
