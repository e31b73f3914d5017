import { z } from 'zod';

/** ISO-8601 instant with an explicit offset (`Z` or `+09:00`), as the public contract requires. */
export const isoInstant = z.iso.datetime({ offset: true });

/** Opaque identifiers from other systems: non-empty, bounded, no control characters. */
export const externalId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/**
 * Money as it arrives from other systems. Deliberately loose (any number): whether an amount is a
 * whole, non-negative, plausible number of won is a business rule, answered with a reason in the
 * decision event rather than by parking the message.
 */
export const wonInput = z.number();

/** Money the platform emits: integer won. */
export const won = z.number().int();

export const traceparentHeader = 'traceparent';
