import { IncomingMessage, ServerResponse } from 'node:http';
import { DynamicModule, INestApplication, Injectable, LogLevel, Module, OnApplicationShutdown, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { Logger as PinoNestLogger, LoggerModule, Params } from 'nestjs-pino';
import pino, { DestinationStream, Level, LoggerOptions } from 'pino';
import { REDACT_PATHS, scrubLogText } from './log-scrub';
import { serveOpenApi } from './openapi';
import { currentTelemetry } from './setup';

export interface LoggingOptions {
  /** The `service` field of every line. */
  service: string;
  /** Nest's level names; `log` is pino's `info`, `verbose` is `trace`. */
  level?: LogLevel;
  /** `auto` (default): colourful human-readable lines on a terminal, JSON lines otherwise. */
  format?: 'auto' | 'json' | 'pretty';
  /** Where lines go (default stdout); tests pass a stream to read them back. */
  destination?: DestinationStream;
}

const PINO_LEVEL: Record<LogLevel, Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** The active span's ids on every line, so a line joins its trace (Zipkin, Tempo, Jaeger). */
function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  const sc = span?.spanContext();
  if (!sc || !isSpanContextValid(sc)) return {};
  return { trace_id: sc.traceId, span_id: sc.spanId, trace_flags: `0${sc.traceFlags.toString(16)}`.slice(-2) };
}

function scrubArgs(args: unknown[]): unknown[] {
  return args.map((a) => {
    if (typeof a === 'string') return scrubLogText(a);
    if (a && typeof a === 'object' && !(a instanceof Error)) {
      const o = a as Record<string, unknown>;
      let copy: Record<string, unknown> | null = null;
      for (const [k, v] of Object.entries(o)) {
        if (typeof v !== 'string') continue;
        const s = scrubLogText(v);
        if (s !== v) (copy ??= { ...o })[k] = s;
      }
      return copy ?? a;
    }
    return a;
  });
}

/** pino options shared by services and tools: JSON with service, level name, ISO time, trace ids. */
export function pinoOptions(o: Pick<LoggingOptions, 'service' | 'level'>): LoggerOptions {
  return {
    level: PINO_LEVEL[o.level ?? 'log'],
    base: { service: o.service, pid: process.pid },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceFields,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    hooks: {
      logMethod(args, method) {
        method.apply(this, scrubArgs(args) as Parameters<typeof method>);
      },
    },
  };
}

function prettyWanted(format: LoggingOptions['format']): boolean {
  if (format === 'pretty') return true;
  if (format === 'json') return false;
  return process.stdout.isTTY === true && !process.env.NO_COLOR;
}

function destinationFor(o: LoggingOptions): DestinationStream {
  if (o.destination) return o.destination;
  if (prettyWanted(o.format)) {
    // Synchronous and in-process (no transport worker): lines are never lost at exit.
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    return pretty.build({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  }
  return pino.destination({ dest: 1, sync: true });
}

const isStatusError = (e: Error): boolean => /^failed with status code \d+$/.test(e.message);

/** nestjs-pino parameters: request lines only for failures (and at debug), never for probes and scrapes. */
export function loggerParams(o: LoggingOptions): Params {
  return {
    pinoHttp: [
      {
        ...pinoOptions(o),
        quietReqLogger: true,
        autoLogging: { ignore: (req: IncomingMessage) => /^\/(health|metrics)(\/|$|\?)/.test(req.url ?? '') },
        // A thrown error is an error; a 5xx answer (the channel simulator's injected faults, a
        // database outage) or a refused credential is a warning; other client errors are routine.
        customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
          err && !isStatusError(err)
            ? 'error'
            : res.statusCode >= 500 || res.statusCode === 401 || res.statusCode === 403
              ? 'warn'
              : res.statusCode >= 400
                ? 'info'
                : 'debug',
        // pino-http turns a 5xx into an Error with a stack that says nothing: keep the status only.
        customErrorObject: (_req: IncomingMessage, _res: ServerResponse, err: Error, value: Record<string, unknown>) =>
          isStatusError(err) ? { ...value, err: undefined } : value,
        serializers: {
          req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: scrubLogText(req.url) }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        },
      },
      destinationFor(o),
    ],
  };
}

/** Spans still queued in the batch processor go out before the process ends (SIGTERM, crash guard). */
@Injectable()
class TelemetryFlush implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await currentTelemetry()
      ?.tracerProvider.forceFlush()
      .catch(() => undefined);
  }
}

@Module({ providers: [TelemetryFlush] })
class ObservedAppModule {}

/**
 * Creates a Nest app with the platform's logging (JSON lines joined to traces, nestjs-pino), a
 * trace flush at shutdown and its OpenAPI document at /docs (openapi.ts). One logger per process (nestjs-pino keeps a process-wide root): the
 * first app created names the `service` of every line.
 */
export async function createObservedApp(rootModule: DynamicModule | Type, o: LoggingOptions): Promise<INestApplication> {
  const app = await NestFactory.create(
    { module: ObservedAppModule, imports: [LoggerModule.forRoot(loggerParams(o)), rootModule] },
    { bufferLogs: true },
  );
  app.useLogger(app.get(PinoNestLogger));
  app.flushLogs();
  serveOpenApi(app, o.service);
  return app;
}
