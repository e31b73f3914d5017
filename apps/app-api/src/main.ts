// Telemetry starts before anything loads pg or http, so their instrumentations can patch them.
import { startTelemetry } from '@platform/telemetry';
import { loadAppApiConfig } from './config';

const config = loadAppApiConfig();
startTelemetry({
  serviceName: 'app-api',
  zipkinUrl: config.ZIPKIN_URL,
  disabled: config.OTEL_SDK_DISABLED,
  sampleRatio: config.TRACE_SAMPLE_RATIO,
});

const { createAppApiApp } = require('./app') as typeof import('./app');

void (async () => {
  const app = await createAppApiApp(config);
  await app.listen(config.PORT, config.HOST);
})().catch((e: unknown) => {
  console.error('app-api failed to start', e);
  process.exit(1);
});
