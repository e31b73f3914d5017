import { diag, DiagConsoleLogger, DiagLogLevel, metrics } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
  ParentBasedSampler,
  Sampler,
  SimpleSpanProcessor,
  SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { registerRuntimeMetrics } from './runtime-metrics';
import { loadOtelEnv, OtelEnv, otlpTracesUrl, traceExporters } from './otel-env';

export interface TelemetryOptions {
  serviceName: string;
  /** Zipkin v2 spans endpoint; traces go nowhere when disabled. */
  zipkinUrl?: string;
  disabled?: boolean;
  /** Share of new root traces recorded; children follow the parent's decision. */
  sampleRatio?: number;
  /** Tests pass an in-memory exporter. */
  exporter?: SpanExporter;
  /** The OTEL_* variables (default: the process environment). */
  env?: NodeJS.ProcessEnv;
}

/** `k=v,k2=v2` (values percent-encoded) as the SDK reads OTEL_RESOURCE_ATTRIBUTES. */
function resourceAttributes(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const key = pair.slice(0, at).trim();
    try {
      out[key] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      out[key] = pair.slice(at + 1).trim();
    }
  }
  return out;
}

function sampler(env: OtelEnv, ratio: number): Sampler {
  const arg = env.OTEL_TRACES_SAMPLER_ARG ?? ratio;
  switch (env.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(arg);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
    case undefined:
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(arg) });
  }
}

function spanExporters(env: OtelEnv, o: { zipkinUrl?: string; serviceName: string }): SpanExporter[] {
  return traceExporters(env).map((kind) => {
    switch (kind) {
      case 'otlp':
        // The exporter reads OTEL_EXPORTER_OTLP_HEADERS / _TIMEOUT / _COMPRESSION itself.
        return new OTLPTraceExporter({ url: otlpTracesUrl(env) ?? undefined });
      case 'zipkin':
        return new ZipkinExporter({ url: o.zipkinUrl, serviceName: o.serviceName });
      case 'console':
        return new ConsoleSpanExporter();
    }
  });
}

export interface Telemetry {
  serviceName: string;
  /** Where spans go (`otlp`, `zipkin`, `console`; `test` for an injected exporter). */
  exporters: string[];
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
  const env = loadOtelEnv(o.env ?? process.env);
  const serviceName = env.OTEL_SERVICE_NAME ?? o.serviceName;
  const resource = resourceFromAttributes({ ...resourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES), [ATTR_SERVICE_NAME]: serviceName });
  const exporters = o.exporter ? [o.exporter] : o.disabled ? [] : spanExporters(env, { zipkinUrl: o.zipkinUrl, serviceName });
  const tracerProvider = new NodeTracerProvider({
    resource,
    sampler: sampler(env, o.sampleRatio ?? 1),
    spanProcessors: exporters.map((e) =>
      o.exporter ? new SimpleSpanProcessor(e) : new BatchSpanProcessor(e, { maxQueueSize: 8192, maxExportBatchSize: 512 }),
    ),
  });
  tracerProvider.register({ propagator: new W3CTraceContextPropagator() });
  // Metrics are served by the service's own HTTP server at /metrics (no extra port).
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ resource, readers: [prometheus] });
  metrics.setGlobalMeterProvider(meterProvider);
  registerRuntimeMetrics(meterProvider.getMeter('platform-runtime'));
  registerInstrumentations({
    tracerProvider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => /^\/(health|metrics)/.test(req.url ?? '') }),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  current = {
    serviceName,
    exporters: o.exporter ? ['test'] : o.disabled ? [] : traceExporters(env),
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
