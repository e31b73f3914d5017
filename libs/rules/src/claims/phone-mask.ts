// Phone numbers in dead letters are personal data: `npm run dlq -- show` and the ops console mask them.
import { findPhoneNumbersInText } from 'libphonenumber-js/max';

const PHONE_KEY = /phone|msisdn|mobile/i;

/** Every digit but the last two becomes `*`; separators stay, so the shape remains recognisable. */
export const maskDigits = (s: string): string => {
  const total = (s.match(/\d/g) ?? []).length;
  let seen = 0;
  return s.replace(/\d/g, (d) => (++seen > total - 2 ? d : '*'));
};

/** Masks what libphonenumber recognises as a phone number (Korean domestic forms included) anywhere in the text. */
export function maskPhoneNumbersInText(text: string): string {
  let out = '';
  let at = 0;
  for (const f of findPhoneNumbersInText(text, 'KR')) {
    out += text.slice(at, f.startsAt) + maskDigits(text.slice(f.startsAt, f.endsAt));
    at = f.endsAt;
  }
  return out + text.slice(at);
}

function maskValue(v: unknown, key: string | null): unknown {
  if (typeof v === 'string') return key !== null && PHONE_KEY.test(key) ? maskDigits(v) : maskPhoneNumbersInText(v);
  if (typeof v === 'number' && key !== null && PHONE_KEY.test(key)) return maskDigits(String(v));
  if (Array.isArray(v)) return v.map((x) => maskValue(x, key));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskValue(x, k)]));
  return v;
}

/**
 * A dead letter's value with phone numbers masked: JSON is walked (phone-named fields masked
 * whole, numbers found in other strings masked; amounts and ids left readable); anything that is
 * not JSON (the malformed messages a DLQ holds) is masked wherever a number is recognised.
 */
export function maskDeadLetterValue(raw: string): string {
  try {
    return JSON.stringify(maskValue(JSON.parse(raw) as unknown, null));
  } catch {
    return maskPhoneNumbersInText(raw);
  }
}
