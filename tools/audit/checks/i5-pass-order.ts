// I5: passes are sent in slot order; none skipped, none sent twice.
import { campaignFilter } from '../db';
import { AuditContext, CheckOutcome, InvariantCheck, num, skipped } from './types';
import { toolBearer } from '@platform/tools-ops';

/**
 * Per campaign, one statement over the (campaign_id, slot) index order: sent passes must be slots
 * 1..k with no unsent slot below a sent one, every slot up to the watermark sent, and send times
 * never decreasing with the slot (lag() window).
 */
export const I5_SQL = `
  SELECT pc.campaign_id, pc.sent_watermark, pc.reserved,
         count(x.slot) FILTER (WHERE x.sent_at IS NOT NULL) AS sent,
         coalesce(max(x.slot) FILTER (WHERE x.sent_at IS NOT NULL), 0) AS max_sent_slot,
         count(x.slot) FILTER (WHERE x.slot <= pc.sent_watermark AND x.sent_at IS NULL) AS unsent_below_watermark,
         count(x.slot) FILTER (WHERE x.sent_at < x.prev_sent_at) AS sent_out_of_order,
         count(x.slot) FILTER (WHERE x.channel_duplicate) AS channel_duplicates
    FROM pass_campaign pc
    LEFT JOIN (SELECT campaign_id, slot, sent_at, channel_duplicate,
                      lag(sent_at) OVER (PARTITION BY campaign_id ORDER BY slot) AS prev_sent_at
                 FROM pass WHERE ${campaignFilter('campaign_id', 1)}) x ON x.campaign_id = pc.campaign_id
   WHERE ${campaignFilter('pc.campaign_id', 1)}
   GROUP BY pc.campaign_id, pc.sent_watermark, pc.reserved
   ORDER BY pc.campaign_id`;

interface Row {
  campaign_id: string;
  sent_watermark: number;
  reserved: number;
  sent: string;
  max_sent_slot: number;
  unsent_below_watermark: string;
  sent_out_of_order: string;
  channel_duplicates: string;
}

export interface Delivery {
  sequence: number;
  passId: string;
  campaignId: string | null;
  slot: number;
}

/** What the channel simulator recorded, per campaign, read page by page (constant memory per campaign). */
export interface ChannelRecord {
  deliveries: number;
  perCampaign: Map<string, { count: number; firstSlot: number; lastSlot: number; outOfOrder: number; repeatedSlot: number }>;
  repeatedPassIds: number;
}

class CredentialsRefused extends Error {}

export async function readChannelRecord(url: string, campaignId: string | null, timeoutMs = 3000): Promise<ChannelRecord | null> {
  const rec: ChannelRecord = { deliveries: 0, perCampaign: new Map(), repeatedPassIds: 0 };
  // Pass ids are checked for repeats within a sliding window (a repeat far apart would also show as a slot repeat).
  const recentPassIds = new Set<string>();
  let after = 0;
  for (;;) {
    let body: { deliveries: Delivery[]; lastSequence: number };
    try {
      const res = await fetch(`${url}/admin/deliveries?after=${after}&limit=10000`, {
        headers: await toolBearer('reader'),
        signal: AbortSignal.timeout(timeoutMs),
      });
      // refused credentials are a setup error, not "no simulator here": never skip the check silently
      if (res.status === 401 || res.status === 403)
        throw new CredentialsRefused(`channel simulator refused the audit's credentials (HTTP ${res.status})`);
      if (!res.ok) return after === 0 ? null : rec;
      body = (await res.json()) as { deliveries: Delivery[]; lastSequence: number };
    } catch (e) {
      if (e instanceof CredentialsRefused) throw e;
      if (after === 0) return null;
      throw new Error(`channel simulator stopped answering after sequence ${after}`);
    }
    for (const d of body.deliveries) {
      after = d.sequence;
      const c = d.campaignId ?? '(none)';
      if (campaignId !== null && c !== campaignId) continue;
      rec.deliveries++;
      if (recentPassIds.has(d.passId)) rec.repeatedPassIds++;
      recentPassIds.add(d.passId);
      if (recentPassIds.size > 200_000) recentPassIds.clear();
      const s = rec.perCampaign.get(c);
      if (!s) {
        rec.perCampaign.set(c, { count: 1, firstSlot: d.slot, lastSlot: d.slot, outOfOrder: 0, repeatedSlot: 0 });
        continue;
      }
      s.count++;
      if (d.slot === s.lastSlot) s.repeatedSlot++;
      else if (d.slot < s.lastSlot) s.outOfOrder++;
      else if (d.slot !== s.lastSlot + 1) s.outOfOrder++; // a skipped slot
      s.lastSlot = Math.max(s.lastSlot, d.slot);
    }
    if (body.deliveries.length === 0 || after >= body.lastSequence) return rec;
  }
}

export const i5PassOrder: InvariantCheck = {
  id: 'I5',
  name: 'passes sent in slot order, none skipped, none twice',
  async run(ctx: AuditContext): Promise<CheckOutcome> {
    const db = ctx.dbs.get('passes');
    const why = await db.why('pass_campaign', 'pass');
    if (why) return skipped(why);
    const rows = await db.query<Row>(I5_SQL, [ctx.campaignId]);
    const problems: string[] = [];
    const notes: string[] = [];
    let sent = 0;
    const sentBy = new Map<string, number>();
    for (const r of rows) {
      const c = r.campaign_id;
      const n = num(r.sent);
      sent += n;
      sentBy.set(c, n);
      if (r.max_sent_slot !== n)
        problems.push(`${c}: ${r.max_sent_slot - n} slots skipped (sent ${n}, highest sent slot ${r.max_sent_slot})`);
      if (num(r.unsent_below_watermark) > 0)
        problems.push(`${c}: ${num(r.unsent_below_watermark)} slots at or below the watermark ${r.sent_watermark} not sent`);
      if (num(r.sent_out_of_order) > 0) problems.push(`${c}: ${num(r.sent_out_of_order)} passes sent before a lower slot`);
    }
    const counts: CheckOutcome['counts'] = { campaigns: rows.length, sent, channelDeliveries: null };
    if (ctx.channelUrl) {
      const rec = await readChannelRecord(ctx.channelUrl, ctx.campaignId);
      if (!rec) notes.push(`channel simulator at ${ctx.channelUrl} not reachable: delivery record not checked`);
      else {
        counts.channelDeliveries = rec.deliveries;
        counts.channelRepeatedPassIds = rec.repeatedPassIds;
        if (rec.repeatedPassIds > 0) problems.push(`channel delivered ${rec.repeatedPassIds} passes twice`);
        for (const [c, s] of rec.perCampaign) {
          if (s.repeatedSlot > 0) problems.push(`channel: ${c} slot delivered twice ${s.repeatedSlot} times`);
          if (s.outOfOrder > 0) problems.push(`channel: ${c} ${s.outOfOrder} deliveries out of slot order or after a skipped slot`);
          if (s.firstSlot !== 1) notes.push(`channel record of ${c} starts at slot ${s.firstSlot} (simulator restarted?)`);
          const dbSent = sentBy.get(c);
          // The channel may be ahead of the database by the deliveries not yet committed; never behind.
          if (dbSent !== undefined && s.firstSlot === 1 && s.count < dbSent)
            problems.push(`channel: ${c} has ${s.count} deliveries but the database marks ${dbSent} sent`);
        }
      }
    }
    const ok = problems.length === 0;
    return {
      ok,
      detail:
        (ok
          ? `${sent} passes sent in slot order without gaps${counts.channelDeliveries !== null ? `; channel record agrees (${counts.channelDeliveries} deliveries)` : ''}`
          : problems.slice(0, 10).join('; ')) + (notes.length ? `; ${notes.join('; ')}` : ''),
      counts,
    };
  },
};
