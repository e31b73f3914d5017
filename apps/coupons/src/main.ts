// Telemetry starts before anything loads pg or http, so their instrumentations can patch them.
import { startTelemetry } from '@platform/telemetry';
import { loadCouponsConfig } from './config';

const config = loadCouponsConfig();
startTelemetry({
  serviceName: 'coupons',
  zipkinUrl: config.ZIPKIN_URL,
  disabled: config.OTEL_SDK_DISABLED,
  sampleRatio: config.TRACE_SAMPLE_RATIO,
});

const { createCouponsApp } = require('./app') as typeof import('./app');

void (async () => {
  const app = await createCouponsApp(config);
  await app.listen(config.PORT, config.HOST);
})().catch((e: unknown) => {
  console.error('coupons failed to start', e);
  process.exit(1);
});
