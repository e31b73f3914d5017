// Telemetry starts before anything loads http, so its instrumentation can patch it.
import { startTelemetry } from '@platform/telemetry';
import { loadChannelSimConfig } from './config';

const config = loadChannelSimConfig();
startTelemetry({
  serviceName: 'talk-channel-sim',
  zipkinUrl: config.ZIPKIN_URL,
  disabled: config.OTEL_SDK_DISABLED,
  sampleRatio: config.TRACE_SAMPLE_RATIO,
});

const { createTalkChannelSimApp } = require('./app') as typeof import('./app');

void (async () => {
  const app = await createTalkChannelSimApp(config);
  await app.listen(config.PORT, config.HOST);
})().catch((e: unknown) => {
  console.error('talk-channel-sim failed to start', e);
  process.exit(1);
});
