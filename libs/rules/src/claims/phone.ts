import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

export type PhoneVerdict =
  { kind: 'KOREAN'; e164: string } | { kind: 'OVERSEAS'; country: string | null; e164: string } | { kind: 'INVALID' };

/**
 * R4: only Korean numbers (+82) qualify. Accepts E.164 (`+821012345678`, `+82 10 1234 5678`) and
 * domestic forms (`010-1234-5678`), which are read as Korean. Parsing uses libphonenumber's full
 * metadata so that a number that cannot exist is INVALID rather than overseas.
 */
export function judgePhone(raw: string): PhoneVerdict {
  const text = raw.trim();
  if (text.length === 0 || text.length > 32) return { kind: 'INVALID' };
  const parsed = parsePhoneNumberFromString(text, 'KR');
  if (!parsed || !parsed.isValid()) return { kind: 'INVALID' };
  if (parsed.countryCallingCode === '82') return { kind: 'KOREAN', e164: parsed.number };
  return { kind: 'OVERSEAS', country: parsed.country ?? null, e164: parsed.number };
}
