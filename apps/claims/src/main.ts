// Telemetry starts before anything loads pg or http, so their instrumentations can patch them.
import { startTelemetry } from '@platform/telemetry';
import { loadClaimsConfig } from './config';

const config = loadClaimsConfig();
startTelemetry({
  serviceName: 'claims',
  zipkinUrl: config.ZIPKIN_URL,
  disabled: config.OTEL_SDK_DISABLED,
  sampleRatio: config.TRACE_SAMPLE_RATIO,
});

const { createClaimsApp } = require('./app') as typeof import('./app');

void (async () => {
  const app = await createClaimsApp(config);
  await app.listen(config.PORT, config.HOST);
})().catch((e: unknown) => {
  console.error('claims failed to start', e);
  process.exit(1);
});
