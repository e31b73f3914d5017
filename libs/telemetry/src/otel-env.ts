import { z } from 'zod';
import { loadConfig } from '@platform/config';

const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), z.url().optional());

/**
 * The standard OpenTelemetry SDK variables the platform honours (read once at boot, validated).
 * Exporter settings the OTLP exporter reads itself (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT,
 * _COMPRESSION and their _TRACES_ forms) work as the SDK documents them.
 */
export const otelEnv = z.object({
  /** `otlp`, `zipkin`, `console` or `none` (comma list). Default: otlp when an OTLP endpoint is set, else zipkin. */
  OTEL_TRACES_EXPORTER: z
    .string()
    .optional()
    .transform((s) =>
      s
        ?.split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(['otlp', 'zipkin', 'console', 'none'])).optional()),
  /** Base URL of an OTLP/HTTP collector; traces go to `<base>/v1/traces`. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  /** Full URL for traces only (wins over the base). */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrl,
  /** Overrides the service name the code gives. */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  /** `key=value,key=value` resource attributes (deployment.environment, k8s.pod.name, ...), read by the SDK's env detector. */
  OTEL_RESOURCE_ATTRIBUTES: z.string().optional(),
  OTEL_TRACES_SAMPLER: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
    .optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
});

export type OtelEnv = z.infer<typeof otelEnv>;

export const loadOtelEnv = (env: NodeJS.ProcessEnv = process.env): OtelEnv => loadConfig(otelEnv, env);

/** Where OTLP traces go, or null when no endpoint is configured. */
export function otlpTracesUrl(e: OtelEnv): string | null {
  if (e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (e.OTEL_EXPORTER_OTLP_ENDPOINT) return `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return null;
}

/** The exporters to run: explicit OTEL_TRACES_EXPORTER, else OTLP when an endpoint is set, else Zipkin (the local default). */
export function traceExporters(e: OtelEnv): ('otlp' | 'zipkin' | 'console')[] {
  const chosen = e.OTEL_TRACES_EXPORTER ?? [otlpTracesUrl(e) ? 'otlp' : 'zipkin'];
  return chosen.filter((x): x is 'otlp' | 'zipkin' | 'console' => x !== 'none');
}
