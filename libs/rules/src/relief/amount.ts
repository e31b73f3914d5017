/**
 * Money as it arrives from other systems is any JSON number (or missing). A usable amount is a
 * whole, non-negative number of won that JavaScript and Postgres `bigint` both hold exactly.
 * Returns the amount, or null when it is missing, negative, fractional or not exactly representable.
 */
export function wholeWon(value: number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isSafeInteger(value) || value < 0) return null;
  // -0 is an integer >= 0 but not a sensible amount to store or echo.
  return value === 0 ? 0 : value;
}
