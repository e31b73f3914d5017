/**
 * Issue 19: expiry reminders. Something that ends at `endsAt` (a coupon's or pack's expiresAt, a
 * pass's registerBy) is reminded once, `leadSeconds` before its end; the lead is campaign data and
 * its absence means no reminder. A lead longer than the whole validity makes the reminder due at
 * once. The sweepers send a due reminder only while the thing has not ended (a late sweep does not
 * announce an expiry that already happened), and mark it sent in the same transaction.
 */
export function reminderDueAt(endsAt: Date | null, leadSeconds: number | null | undefined): Date | null {
  if (endsAt === null || leadSeconds === null || leadSeconds === undefined) return null;
  if (!Number.isInteger(leadSeconds) || leadSeconds <= 0)
    throw new RangeError(`leadSeconds must be a positive integer, got ${leadSeconds}`);
  return new Date(endsAt.getTime() - leadSeconds * 1000);
}
