/** Kafka headers as strings (last value wins for repeated keys); binary values are read as UTF-8. */
export function headersToStrings(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) {
      const last = v[v.length - 1] as unknown;
      if (last !== undefined && last !== null) out[k] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
    } else {
      out[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
    }
  }
  return out;
}
