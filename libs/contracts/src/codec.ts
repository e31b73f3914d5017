import { z } from 'zod';
import { dlqReason, DlqReason } from './reasons';
import { TopicSpec } from './topics';

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: DlqReason };

/** Largest message value we parse; bigger ones are parked unread. */
export const MAX_VALUE_BYTES = 64 * 1024;

/** Parses and validates a raw Kafka value against the topic's schema, with a readable reason. */
export function decode<S extends z.ZodType>(spec: TopicSpec<S>, raw: Buffer | null): DecodeResult<z.infer<S>> {
  if (raw === null || raw.length === 0) return { ok: false, reason: dlqReason('EMPTY_VALUE', 'message has no value') };
  if (raw.length > MAX_VALUE_BYTES) {
    return { ok: false, reason: dlqReason('TOO_LARGE', `value is ${raw.length} bytes, limit ${MAX_VALUE_BYTES}`) };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    return { ok: false, reason: dlqReason('MALFORMED_JSON', (e as Error).message) };
  }
  const parsed = spec.schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    return { ok: false, reason: dlqReason('SCHEMA_VIOLATION', issues) };
  }
  return { ok: true, value: parsed.data as z.infer<S> };
}

/** Validates an outgoing payload before it is written anywhere: our own bugs fail loudly. */
export function encode<S extends z.ZodType>(spec: TopicSpec<S>, value: z.infer<S>): { key: string; value: string } {
  const parsed = spec.schema.parse(value);
  return { key: spec.key(parsed), value: JSON.stringify(parsed) };
}

export function formatZodError(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}
