// Logs leave the service (files, collectors, screenshots in tickets): no raw phone numbers, no
// credentials. Structured fields are redacted by path (logging.ts); this catches free text.

/** Korean mobile numbers in the forms people and upstream systems write them, and E.164 numbers. */
const PHONE = /(?<![\w+])(?:(?:\+|00)?82[-. ]?0?1[016789]|01[016789])[-. ]?\d{3,4}[-. ]?\d{4}(?!\d)|(?<![\w+])\+\d{9,15}(?!\d)/g;
/** Bearer credentials and anything shaped like a JWT (three base64url parts, the first a JSON header). */
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;

/** Every digit but the last two becomes `*` (the same shape as the DLQ CLI's masking). */
export function maskDigits(s: string): string {
  const total = (s.match(/\d/g) ?? []).length;
  let seen = 0;
  return s.replace(/\d/g, (d) => (++seen > total - 2 ? d : '*'));
}

/** Masks phone numbers and credentials in free text; everything else is left as it was. */
export function scrubLogText(s: string): string {
  if (s.length === 0) return s;
  return s
    .replace(BEARER, (_m, scheme: string) => `${scheme} [REDACTED]`)
    .replace(JWT, '[REDACTED]')
    .replace(PHONE, (m) => maskDigits(m));
}

/** Field names whose values never reach a log line (pino redact paths, any depth up to two). */
export const REDACTED_FIELDS = [
  'authorization',
  'cookie',
  'password',
  'secret',
  'token',
  'phoneNumber',
  'phone',
  'phoneE164',
  'msisdn',
  'AUTH_JWT_SECRET',
  'PHONE_HASH_SECRET',
  'KAFKA_SASL_PASSWORD',
];

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...REDACTED_FIELDS,
  ...REDACTED_FIELDS.map((f) => `*.${f}`),
  ...REDACTED_FIELDS.map((f) => `*.*.${f}`),
];
