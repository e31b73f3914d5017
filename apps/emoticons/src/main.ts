// Telemetry starts before anything loads pg or http, so their instrumentations can patch them.
import { startTelemetry } from '@platform/telemetry';
import { loadEmoticonsConfig } from './config';

const config = loadEmoticonsConfig();
startTelemetry({
  serviceName: 'emoticons',
  zipkinUrl: config.ZIPKIN_URL,
  disabled: config.OTEL_SDK_DISABLED,
  sampleRatio: config.TRACE_SAMPLE_RATIO,
});

const { createEmoticonsApp } = require('./app') as typeof import('./app');

void (async () => {
  const app = await createEmoticonsApp(config);
  await app.listen(config.PORT, config.HOST);
})().catch((e: unknown) => {
  console.error('emoticons failed to start', e);
  process.exit(1);
});
