// Telemetry starts before anything loads pg or http, so their instrumentations can patch them.
import { startTelemetry } from '@platform/telemetry';
import { loadPassDispatcherConfig } from './config';

const config = loadPassDispatcherConfig();
startTelemetry({
  serviceName: 'pass-dispatcher',
  zipkinUrl: config.ZIPKIN_URL,
  disabled: config.OTEL_SDK_DISABLED,
  sampleRatio: config.TRACE_SAMPLE_RATIO,
});

const { createPassDispatcherApp } = require('./app') as typeof import('./app');

void (async () => {
  const app = await createPassDispatcherApp(config);
  await app.listen(config.PORT, config.HOST);
  console.log(`pass-dispatcher ${config.INSTANCE_ID} listening on ${config.PORT}`);
})().catch((e: unknown) => {
  console.error('pass-dispatcher failed to start', e);
  process.exit(1);
});
