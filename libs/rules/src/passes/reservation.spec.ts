import { allocateSlots } from './reservation';

describe('pass slot allocation (R7, I4)', () => {
  it.each([
    // reservedBefore, cap, requested -> firstSlot, granted, soldOut, reservedAfter
    [0, 1000, 1, 1, 1, 0, 1],
    [0, 1000, 1000, 1, 1000, 0, 1000],
    [0, 1000, 1001, 1, 1000, 1, 1000],
    [999, 1000, 1, 1000, 1, 0, 1000],
    [999, 1000, 2, 1000, 1, 1, 1000],
    [1000, 1000, 5, 1001, 0, 5, 1000],
    [0, 0, 3, 1, 0, 3, 0],
    [500, 3_000_000, 0, 501, 0, 0, 500],
    [2_999_000, 3_000_000, 1000, 2_999_001, 1000, 0, 3_000_000],
    [2_999_001, 3_000_000, 1000, 2_999_002, 999, 1, 3_000_000],
  ])('before %i cap %i requested %i -> first %i granted %i soldOut %i after %i', (before, cap, n, first, granted, soldOut, after) => {
    expect(allocateSlots(before, cap, n)).toEqual({ firstSlot: first, granted, soldOut, reservedAfter: after });
  });

  it('never grants above the cap even if the counter is already past it (defensive)', () => {
    expect(allocateSlots(1200, 1000, 10)).toEqual({ firstSlot: 1201, granted: 0, soldOut: 10, reservedAfter: 1200 });
  });

  it.each([
    [-1, 10, 1],
    [0, -1, 1],
    [0, 10, -1],
    [0.5, 10, 1],
  ])('rejects nonsense input %p/%p/%p', (a, b, c) => {
    expect(() => allocateSlots(a, b, c)).toThrow(RangeError);
  });
});
