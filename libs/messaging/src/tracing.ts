import {
  Attributes,
  context,
  Context,
  isSpanContextValid,
  Link,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

const tracer = () => trace.getTracer('messaging');

/**
 * Runs `fn` in a new active span: what a timer does (a sweep, a send round, an announcement) gets a
 * trace of its own, and every event emitted inside it carries that trace's `traceparent`. Links
 * point at the traces that caused the work (the claims whose passes a round sends).
 */
export async function withSpan<T>(name: string, o: { attributes?: Attributes; links?: Link[] }, fn: () => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(
    name,
    { kind: SpanKind.INTERNAL, attributes: o.attributes, links: o.links },
    ROOT_CONTEXT,
    async (span) => {
      try {
        return await fn();
      } catch (e) {
        span.recordException(e instanceof Error ? e : String(e));
        span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
        throw e;
      } finally {
        span.end();
      }
    },
  );
}

/** True when a span with a valid context is active (a consumer's, an HTTP request's, a sweep's). */
export function hasActiveSpan(ctx: Context = context.active()): boolean {
  const sc = trace.getSpan(ctx)?.spanContext();
  return sc !== undefined && isSpanContextValid(sc);
}

/** The W3C `traceparent` of a context (null without a valid span): stored on rows whose later events continue the trace. */
export function traceparentOf(ctx: Context): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent ?? null;
}

/** The context a stored `traceparent` names (ROOT_CONTEXT for null or garbage). */
export function contextFromTraceparent(traceparent: string | null | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/**
 * The trace context for one event of a timer-driven round: a short span in the trace of what
 * caused it (the claim, via its stored `traceparent`) that links back to the round's span, or the
 * round's own context when there is no stored cause. Zipkin shows the event inside the claim's trace.
 */
export function causedBy(traceparent: string | null | undefined, name: string, attributes?: Attributes): { trace: Context } {
  const round = context.active();
  const parent = contextFromTraceparent(traceparent);
  if (!hasActiveSpan(parent)) return { trace: round };
  const roundSpan = trace.getSpan(round)?.spanContext();
  const span = tracer().startSpan(
    name,
    { kind: SpanKind.PRODUCER, attributes, links: roundSpan && isSpanContextValid(roundSpan) ? [{ context: roundSpan }] : [] },
    parent,
  );
  span.end();
  return { trace: trace.setSpan(parent, span) };
}
