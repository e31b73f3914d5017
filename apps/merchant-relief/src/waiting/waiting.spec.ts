import { remainingWait } from './waiting.repository';

describe('waiting bound for deferred events', () => {
  const seen = new Date('2023-02-01T00:00:00Z');
  const at = (ms: number): Date => new Date(seen.getTime() + ms);

  it.each([
    [0, 120_000, 125_000],
    [119_999, 1, 5_001],
    [120_000, 0, 5_000], // the wait is over exactly at the bound: decide, do not defer
    [500_000, -380_000, 5_000],
  ])('%p ms after first seen: %p ms left, library keeps it %p ms', (elapsed, remainingMs, libraryMaxWaitMs) => {
    expect(remainingWait(seen, at(elapsed), 120_000)).toEqual({ remainingMs, libraryMaxWaitMs });
  });

  it('always lets the library keep a message longer than we wait, so we decide it, not the DLQ', () => {
    for (const elapsed of [0, 1, 60_000, 119_999]) {
      const { remainingMs, libraryMaxWaitMs } = remainingWait(seen, at(elapsed), 120_000);
      expect(libraryMaxWaitMs).toBeGreaterThan(remainingMs);
    }
  });
});
