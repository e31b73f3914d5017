/**
 * R7 / I4: slot allocation for one chunk of accepted claims of one campaign. The caller holds the
 * campaign row lock, so `reservedBefore` is exact; slots are handed out contiguously from
 * `reservedBefore + 1`, never above the cap, in the order the claims are given.
 */
export interface SlotAllocation {
  /** First slot granted (meaningful when granted > 0). */
  firstSlot: number;
  /** How many of the claims get a slot (the first `granted`, in order). */
  granted: number;
  /** How many of the claims come after the cap: SOLD_OUT. */
  soldOut: number;
  /** The campaign's reserved count after this allocation. */
  reservedAfter: number;
}

export function allocateSlots(reservedBefore: number, cap: number, requested: number): SlotAllocation {
  if (!Number.isInteger(reservedBefore) || !Number.isInteger(cap) || !Number.isInteger(requested)) {
    throw new RangeError('allocateSlots needs integers');
  }
  if (reservedBefore < 0 || cap < 0 || requested < 0) throw new RangeError('allocateSlots needs non-negative numbers');
  const free = Math.max(0, cap - reservedBefore);
  const granted = Math.min(free, requested);
  return { firstSlot: reservedBefore + 1, granted, soldOut: requested - granted, reservedAfter: reservedBefore + granted };
}
