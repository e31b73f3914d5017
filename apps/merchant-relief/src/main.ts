// Telemetry starts before anything loads pg or http, so their instrumentations can patch them.
import { startTelemetry } from '@platform/telemetry';
import { loadReliefConfig } from './config';

const config = loadReliefConfig();
startTelemetry({
  serviceName: 'merchant-relief',
  zipkinUrl: config.ZIPKIN_URL,
  disabled: config.OTEL_SDK_DISABLED,
  sampleRatio: config.TRACE_SAMPLE_RATIO,
});

const { createReliefApp } = require('./app') as typeof import('./app');

void (async () => {
  const app = await createReliefApp(config);
  await app.listen(config.PORT, config.HOST);
})().catch((e: unknown) => {
  console.error('merchant-relief failed to start', e);
  process.exit(1);
});
