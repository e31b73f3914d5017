// Shared checks of the delay-notice invariant (I6) for the notice suites.
import { PayloadOf } from '@platform/contracts';
import { Delivery } from './helpers';

export type Notice = PayloadOf<'passDelayNotice'>;

/** When each reserved pass was claimed (epoch ms, by pass id), from its reservation events. */
export const claimTimes = (reserved: PayloadOf<'passReserved'>[]): Map<string, number> =>
  new Map(reserved.map((r) => [r.passId, Date.parse(r.claimedAt)]));

/**
 * I6 for one campaign: at most one notice per pass; every notice was emitted before claim +
 * threshold; every pass delivered after claim + threshold had a notice before its delivery.
 * Returns the passes delivered late (for the caller's own expectations).
 */
export function expectNoticeInvariant(o: {
  notices: Notice[];
  deliveries: Delivery[];
  thresholdMs: number;
  claimedAt: Map<string, number>;
  campaignId: string;
}): string[] {
  const notices = o.notices.filter((n) => n.campaignId === o.campaignId);
  const byPass = new Map<string, Notice>();
  for (const n of notices) {
    expect(byPass.has(n.passId)).toBe(false);
    byPass.set(n.passId, n);
    const deadline = Date.parse(n.claimedAt) + o.thresholdMs;
    expect({ passId: n.passId, early: Date.parse(n.noticedAt) < deadline }).toEqual({ passId: n.passId, early: true });
    expect(Date.parse(n.estimatedDeliveryAt)).toBeGreaterThanOrEqual(deadline);
  }
  const late: string[] = [];
  for (const d of o.deliveries.filter((x) => x.campaignId === o.campaignId)) {
    const claimed = o.claimedAt.get(d.passId);
    if (claimed === undefined) throw new Error(`delivered pass ${d.passId} not reserved`);
    if (Date.parse(d.deliveredAt) <= claimed + o.thresholdMs) continue;
    late.push(d.passId);
    const n = byPass.get(d.passId);
    expect({ passId: d.passId, slot: d.slot, noticed: n !== undefined }).toEqual({ passId: d.passId, slot: d.slot, noticed: true });
    if (n) expect(Date.parse(n.noticedAt)).toBeLessThan(Date.parse(d.deliveredAt));
  }
  return late;
}
