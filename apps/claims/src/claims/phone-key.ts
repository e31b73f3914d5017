import { createHmac } from 'node:crypto';

/**
 * The stored key of a phone number: HMAC-SHA256 of its E.164 form under a secret. A salted hash
 * of ~10^8 possible Korean mobile numbers is reversed by brute force in minutes by anyone who
 * knows the salt (it sits next to the data); without the secret, the keys reveal nothing. Equal
 * numbers give equal keys, so "one gift per person" can compare them.
 */
export function phoneKey(secret: string, e164: string): string {
  return createHmac('sha256', secret).update(e164).digest('hex');
}
