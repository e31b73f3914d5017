/**
 * Whether an error is worth retrying unchanged: the database or broker was unreachable, or a
 * transaction lost a race. Everything else is a property of the message or a bug.
 */
export function isTransientError(error: unknown): boolean {
  const e = error as { code?: string; name?: string; message?: string; retriable?: boolean } | undefined;
  if (!e) return false;
  const code = e.code ?? '';
  // Postgres SQLSTATE classes: 08 connection, 40001 serialization, 40P01 deadlock,
  // 53 insufficient resources, 57P0x operator intervention (shutdown, crash recovery), 55P03 lock timeout.
  if (/^(08|53|57P0|58)/.test(code) || code === '40001' || code === '40P01' || code === '55P03') return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'].includes(code)) {
    return true;
  }
  const msg = e.message ?? '';
  if (/Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery)|Connection is not established|terminating connection/i.test(msg)) {
    return true;
  }
  if (e.name?.startsWith('KafkaJS') && e.retriable !== false) return true;
  return false;
}
