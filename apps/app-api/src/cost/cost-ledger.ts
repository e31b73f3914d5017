import { CampaignRewards } from '@platform/contracts';

/**
 * The counting rules of the cost ledger, pure (no I/O): the service reads counts per measure, item
 * and KST day from the read model, this folds them into won against the campaign's budget.
 *   - an emoticon pack costs its `valueWon` when granted;
 *   - a pass costs its `valueWon` when sent; reserved and not sent yet it is "committed";
 *   - a coupon costs its face value when redeemed; issued and neither redeemed nor expired, its face
 *     value is "exposure" (what may still be spent).
 */
export const costMeasures = [
  'EMOTICON_GRANTED',
  'PASS_SENT',
  'PASS_RESERVED_UNSENT',
  'COUPON_ISSUED',
  'COUPON_REDEEMED',
  'COUPON_EXPIRED',
  /** Issued, neither redeemed nor expired (counted by the read, not derived: an odd event cannot make it negative). */
  'COUPON_OUTSTANDING',
] as const;
export type CostMeasure = (typeof costMeasures)[number];

/** How many events of one measure and item happened on one KST day (coupons: with their face value summed). */
export interface CostFlow {
  measure: CostMeasure;
  /** emoticonId; `pass`; the coupon's face value in won (as text). */
  item: string;
  /** YYYY-MM-DD in Asia/Seoul (UTC+9, no DST). */
  day: string;
  count: number;
  faceValueWon: number;
}

export type ItemKind = 'EMOTICON' | 'PASS' | 'COUPON';

export interface Amount {
  count: number;
  won: number;
}

export interface CostItemLine {
  kind: ItemKind;
  /** emoticonId, `pass`, or `coupon-<face value>`. */
  item: string;
  name: string;
  /** What one costs: the campaign's unit value (packs, passes) or the face value (coupons); null: not costed. */
  unitValueWon: number | null;
  /** Packs granted, passes sent, coupons redeemed: the cost. */
  spent: Amount;
  /** Passes only: reserved, not sent yet. */
  committed?: Amount;
  /** Coupons only: face value issued, expired unredeemed, and still redeemable. */
  exposure?: { issued: Amount; expired: Amount; outstanding: Amount };
}

export interface CostDayLine {
  day: string;
  /** Emoticon packs granted and passes sent that day. */
  grantedWon: number;
  /** Coupons redeemed that day (face value). */
  redeemedWon: number;
  costWon: number;
  /** Cost from the first day through this one. */
  cumulativeCostWon: number;
  /** Coupon face value issued that day (exposure, not cost). */
  couponsIssuedWon: number;
  items: { kind: ItemKind; item: string; count: number; won: number }[];
}

export interface CostLedger {
  budgetWon: number | null;
  grantedWon: number;
  redeemedWon: number;
  /** grantedWon + redeemedWon. */
  costWon: number;
  /** budgetWon - costWon; null without a budget. */
  remainingWon: number | null;
  /** costWon / budgetWon, six decimals; null without a budget (or a budget of 0). */
  shareUsed: number | null;
  /** Passes reserved and not sent yet, at the pass value. */
  committedWon: number;
  /** Coupons issued and neither redeemed nor expired, at face value. */
  exposureWon: number;
  /** Items with events but no unit value (counted, not costed). */
  notCosted: string[];
  items: CostItemLine[];
  days: CostDayLine[];
}

const couponItem = (face: string | number) => `coupon-${face}`;
const zero = (): Amount => ({ count: 0, won: 0 });

export function costLedger(flows: readonly CostFlow[], rewards: CampaignRewards | null, budgetWon: number | null): CostLedger {
  const lines = new Map<string, CostItemLine>();
  const line = (kind: ItemKind, item: string, init: () => CostItemLine): CostItemLine => {
    const key = `${kind}:${item}`;
    let l = lines.get(key);
    if (!l) lines.set(key, (l = init()));
    return l;
  };
  const emoticon = (id: string) =>
    line('EMOTICON', id, () => {
      const r = rewards?.emoticons.find((e) => e.emoticonId === id);
      return { kind: 'EMOTICON', item: id, name: r?.name ?? id, unitValueWon: r?.valueWon ?? null, spent: zero() };
    });
  const pass = () =>
    line('PASS', 'pass', () => ({
      kind: 'PASS',
      item: 'pass',
      name: rewards?.pass ? `Talk Drawer Plus ${rewards.pass.storageGb} GB` : 'Talk Drawer Plus',
      unitValueWon: rewards?.pass?.valueWon ?? null,
      spent: zero(),
      committed: zero(),
    }));
  const coupon = (face: number) =>
    line('COUPON', couponItem(face), () => ({
      kind: 'COUPON',
      item: couponItem(face),
      name: `${face} won Kakao Makers coupon`,
      unitValueWon: face,
      spent: zero(),
      exposure: { issued: zero(), expired: zero(), outstanding: zero() },
    }));
  // every rewarded item has a line, zero until something happens
  for (const e of rewards?.emoticons ?? []) emoticon(e.emoticonId);
  if (rewards?.pass) pass();
  for (const a of rewards?.coupons?.amountsWon ?? []) coupon(a);

  const days = new Map<string, CostDayLine>();
  const day = (d: string) => {
    let l = days.get(d);
    if (!l) days.set(d, (l = { day: d, grantedWon: 0, redeemedWon: 0, costWon: 0, cumulativeCostWon: 0, couponsIssuedWon: 0, items: [] }));
    return l;
  };
  const onDay = (d: CostDayLine, kind: ItemKind, item: string, count: number, won: number) => {
    const i = d.items.find((x) => x.kind === kind && x.item === item);
    if (i) {
      i.count += count;
      i.won += won;
    } else d.items.push({ kind, item, count, won });
  };
  const notCosted = new Set<string>();

  for (const f of flows) {
    switch (f.measure) {
      case 'EMOTICON_GRANTED': {
        const l = emoticon(f.item);
        const won = (l.unitValueWon ?? 0) * f.count;
        if (l.unitValueWon === null) notCosted.add(`EMOTICON:${f.item}`);
        l.spent.count += f.count;
        l.spent.won += won;
        const d = day(f.day);
        d.grantedWon += won;
        onDay(d, 'EMOTICON', f.item, f.count, won);
        break;
      }
      case 'PASS_SENT': {
        const l = pass();
        const won = (l.unitValueWon ?? 0) * f.count;
        if (l.unitValueWon === null) notCosted.add('PASS:pass');
        l.spent.count += f.count;
        l.spent.won += won;
        const d = day(f.day);
        d.grantedWon += won;
        onDay(d, 'PASS', 'pass', f.count, won);
        break;
      }
      case 'PASS_RESERVED_UNSENT': {
        const l = pass();
        const c = l.committed ?? zero();
        c.count += f.count;
        c.won += (l.unitValueWon ?? 0) * f.count;
        l.committed = c;
        break;
      }
      case 'COUPON_ISSUED': {
        const l = coupon(Number(f.item));
        add(l, 'issued', f);
        day(f.day).couponsIssuedWon += f.faceValueWon;
        break;
      }
      case 'COUPON_REDEEMED': {
        const l = coupon(Number(f.item));
        l.spent.count += f.count;
        l.spent.won += f.faceValueWon;
        const d = day(f.day);
        d.redeemedWon += f.faceValueWon;
        onDay(d, 'COUPON', l.item, f.count, f.faceValueWon);
        break;
      }
      case 'COUPON_EXPIRED':
        add(coupon(Number(f.item)), 'expired', f);
        break;
      case 'COUPON_OUTSTANDING':
        add(coupon(Number(f.item)), 'outstanding', f);
        break;
    }
  }

  const items = [...lines.values()];
  const order: Record<ItemKind, number> = { EMOTICON: 0, COUPON: 1, PASS: 2 };
  items.sort((a, b) => order[a.kind] - order[b.kind] || (a.unitValueWon ?? 0) - (b.unitValueWon ?? 0) || a.item.localeCompare(b.item));

  const dayLines = [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
  let cumulative = 0;
  for (const d of dayLines) {
    d.costWon = d.grantedWon + d.redeemedWon;
    cumulative += d.costWon;
    d.cumulativeCostWon = cumulative;
    d.items.sort((a, b) => order[a.kind] - order[b.kind] || a.item.localeCompare(b.item));
  }

  const grantedWon = sum(items.filter((l) => l.kind !== 'COUPON').map((l) => l.spent.won));
  const redeemedWon = sum(items.filter((l) => l.kind === 'COUPON').map((l) => l.spent.won));
  const costWon = grantedWon + redeemedWon;
  return {
    budgetWon,
    grantedWon,
    redeemedWon,
    costWon,
    remainingWon: budgetWon === null ? null : budgetWon - costWon,
    shareUsed: budgetWon ? Math.round((costWon / budgetWon) * 1e6) / 1e6 : null,
    committedWon: sum(items.map((l) => l.committed?.won ?? 0)),
    exposureWon: sum(items.map((l) => l.exposure?.outstanding.won ?? 0)),
    notCosted: [...notCosted].sort(),
    items,
    days: dayLines,
  };
}

function add(l: CostItemLine, part: 'issued' | 'expired' | 'outstanding', f: CostFlow): void {
  const e = l.exposure;
  if (!e) return;
  e[part].count += f.count;
  e[part].won += f.faceValueWon;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
