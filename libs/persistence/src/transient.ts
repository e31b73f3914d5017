/**
 * Whether an error is worth retrying unchanged: the database or broker was unreachable, sick or
 * failing over, or a transaction lost a race. Everything else is a property of the message or a
 * bug. Getting this wrong in the other direction is the expensive mistake: a sick database
 * classed as "handler error" dead-letters valid messages at full speed.
 */
export function isTransientError(error: unknown): boolean {
  const e = error as { code?: string; name?: string; message?: string; retriable?: boolean } | undefined;
  if (!e) return false;
  const code = e.code ?? '';
  // Postgres SQLSTATE: 08 connection, 40001 serialization, 40P01 deadlock, 53 insufficient
  // resources, 57P0x operator intervention (shutdown, crash recovery), 57014 statement timeout or
  // cancel, 55P03 lock timeout, 58 system errors (disk), 25006 read-only transaction (a replica
  // after failover), 25P03 idle-in-transaction timeout, 42P01 undefined table and 42501 missing
  // privilege (a half-migrated or misconfigured database: retried with failing readiness until
  // fixed, never a reason to park valid messages), F0 config files, XX001/XX002 corruption.
  if (/^(08|53|57P0|58|F0)/.test(code)) return true;
  if (['40001', '40P01', '55P03', '57014', '25006', '25P03', '42P01', '42501', 'XX001', 'XX002'].includes(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'].includes(code)) {
    return true;
  }
  const msg = e.message ?? '';
  if (
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery)|Connection is not established|terminating connection|Query read timeout|read-only transaction/i.test(
      msg,
    )
  ) {
    return true;
  }
  if (e.name?.startsWith('KafkaJS') && e.retriable !== false) return true;
  return false;
}
