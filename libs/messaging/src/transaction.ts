import { DataSource } from 'typeorm';
import { Clock, systemClock } from './clock';
import { countCommitted } from './business-metrics';
import { appendToOutbox } from './outbox';
import { TopicNamer } from './topic-namer';
import { hasActiveSpan, withSpan } from './tracing';
import { TxContext } from './tx-context';

/**
 * Runs `fn` in one transaction whose emitted events are written to the outbox before commit: the
 * way HTTP paths and sweeps change state and publish together.
 */
export async function runInTransaction<T>(
  ds: DataSource,
  namer: TopicNamer,
  fn: (ctx: TxContext) => Promise<T>,
  options: { clock?: Clock; groupId?: string; onOutboxWrite?: () => void; spanName?: string } = {},
): Promise<T> {
  // Every emitted event carries a traceparent: a transaction outside any span (a timer, a
  // bootstrap hook) gets a trace of its own (a no-op when telemetry is off).
  if (!hasActiveSpan()) return withSpan(options.spanName ?? 'transaction', {}, () => transact(ds, namer, fn, options));
  return transact(ds, namer, fn, options);
}

async function transact<T>(
  ds: DataSource,
  namer: TopicNamer,
  fn: (ctx: TxContext) => Promise<T>,
  options: { clock?: Clock; groupId?: string; onOutboxWrite?: () => void },
): Promise<T> {
  let wrote = false;
  let committed: TxContext | null = null;
  const result = await ds.transaction(async (manager) => {
    const ctx = new TxContext(manager, namer, options.groupId ?? 'direct', (options.clock ?? systemClock).now());
    const r = await fn(ctx);
    if (ctx.deferrals.length > 0) throw new Error('retryLater is only for consumed messages');
    await appendToOutbox(manager, ctx.outgoing);
    wrote = ctx.outgoing.length > 0;
    committed = ctx;
    return r;
  });
  if (committed) countCommitted((committed as TxContext).emitted, (committed as TxContext).outgoing);
  if (wrote) options.onOutboxWrite?.();
  return result;
}
