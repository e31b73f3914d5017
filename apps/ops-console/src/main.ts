// Telemetry starts before anything loads pg or http, so their instrumentations can patch them.
import { startTelemetry } from '@platform/telemetry';
import { loadConsoleConfig } from './config';

const config = loadConsoleConfig();
startTelemetry({
  serviceName: 'ops-console',
  zipkinUrl: config.ZIPKIN_URL,
  disabled: config.OTEL_SDK_DISABLED,
  sampleRatio: config.TRACE_SAMPLE_RATIO,
});

const { createOpsConsoleApp } = require('./app') as typeof import('./app');

void (async () => {
  const app = await createOpsConsoleApp(config);
  await app.listen(config.PORT, config.HOST);
  console.log(`ops-console listening on http://${config.HOST}:${config.PORT}`);
})().catch((e: unknown) => {
  console.error('ops-console failed to start', e);
  process.exit(1);
});
