import { diag, DiagConsoleLogger, DiagLogLevel, metrics } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  SimpleSpanProcessor,
  SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface TelemetryOptions {
  serviceName: string;
  /** Zipkin v2 spans endpoint; traces go nowhere when disabled. */
  zipkinUrl?: string;
  disabled?: boolean;
  /** Share of new root traces recorded; children follow the parent's decision. */
  sampleRatio?: number;
  /** Tests pass an in-memory exporter. */
  exporter?: SpanExporter;
}

export interface Telemetry {
  serviceName: string;
  tracerProvider: NodeTracerProvider;
  meterProvider: MeterProvider;
  prometheus: PrometheusExporter;
  shutdown(): Promise<void>;
}

let current: Telemetry | null = null;

/**
 * Sets up tracing and metrics once per process. Call it first in main.ts, before the app's modules
 * are loaded, so the http and pg instrumentations can patch their modules.
 */
export function startTelemetry(o: TelemetryOptions): Telemetry {
  if (current) return current;
  diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.ERROR);
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: o.serviceName });
  const exporter = o.exporter ?? (o.disabled ? undefined : new ZipkinExporter({ url: o.zipkinUrl, serviceName: o.serviceName }));
  const tracerProvider = new NodeTracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(o.sampleRatio ?? 1) }),
    spanProcessors: exporter
      ? [o.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter, { maxQueueSize: 8192, maxExportBatchSize: 512 })]
      : [],
  });
  tracerProvider.register({ propagator: new W3CTraceContextPropagator() });
  // Metrics are served by the service's own HTTP server at /metrics (no extra port).
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ resource, readers: [prometheus] });
  metrics.setGlobalMeterProvider(meterProvider);
  registerInstrumentations({
    tracerProvider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => /^\/(health|metrics)/.test(req.url ?? '') }),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  current = {
    serviceName: o.serviceName,
    tracerProvider,
    meterProvider,
    prometheus,
    async shutdown() {
      await tracerProvider.shutdown().catch(() => undefined);
      await meterProvider.shutdown().catch(() => undefined);
      current = null;
    },
  };
  return current;
}

export function currentTelemetry(): Telemetry | null {
  return current;
}
