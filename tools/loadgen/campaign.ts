// Makes sure the campaign a load run claims against exists, and learns its window and rewards:
// an existing one is read from the claims service (GET /campaigns), a fresh one is created there
// (POST /campaigns) with a window around now.
import { CampaignDefinition, campaignDefinition } from '@platform/contracts';
import { campaignAround } from '@platform/rules';
import type { CampaignFacts } from './mix';
import { toolBearer } from '@platform/tools-ops';

export function factsOf(d: CampaignDefinition): CampaignFacts {
  const coupons = d.rewards.coupons;
  return {
    campaignId: d.campaignId,
    opensAtMs: Date.parse(d.opensAt),
    closesAtMs: Date.parse(d.closesAt),
    emoticonIds: d.rewards.emoticons.map((e) => e.emoticonId),
    couponCount: coupons?.amountsWon.length ?? 0,
    couponsMembersOnly: coupons?.membersOnly ?? true,
    couponAmountsWon: coupons?.amountsWon ?? [],
    couponMinPaidWon: coupons?.minPaidWon ?? 0,
    passCap: d.rewards.pass?.cap ?? null,
    reliefTiers: d.relief?.tiers ?? [],
    reliefAssessment: d.relief?.assessment ?? null,
  };
}

export type WindowMode = 'recent' | 'open';

/**
 * A campaign for one load run. `recent` (default): opened 2 h ago and closed 5 min ago, so every
 * rejection reason can be produced honestly (a tap after closesAt is in the past); the platform
 * still accepts in-window claims processed late (R1). `open`: opened 2 h ago, closes in 2 h (a
 * "late" tap would lie in the future and is INVALID instead).
 */
export function freshCampaign(o: {
  campaignId: string;
  nowMs: number;
  passCap: number;
  window: WindowMode;
  delayNoticeAfterSeconds?: number;
}): CampaignDefinition {
  return campaignDefinition.parse(
    campaignAround(o.nowMs, {
      campaignId: o.campaignId,
      name: `load test ${o.campaignId}`,
      openedMsAgo: 2 * 3_600_000,
      closesInMs: o.window === 'recent' ? -5 * 60_000 : 2 * 3_600_000,
      pass: { cap: o.passCap, delayNoticeAfterSeconds: o.delayNoticeAfterSeconds ?? 72 * 3600 },
    }),
  );
}

async function http(url: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, {
      ...init,
      headers: { ...(await toolBearer('ops')), ...(init?.headers as Record<string, string> | undefined) },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    throw new Error(
      `claims service not reachable at ${url} (${e instanceof Error ? e.message : String(e)}); start it (npm start) or pass --claims-url`,
    );
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the error message
  }
  return { status: res.status, body };
}

export async function findCampaign(claimsUrl: string, campaignId: string): Promise<CampaignDefinition | null> {
  const r = await http(`${claimsUrl}/campaigns`);
  if (r.status !== 200) throw new Error(`GET ${claimsUrl}/campaigns answered ${r.status}: ${JSON.stringify(r.body)}`);
  const list = (r.body as { campaigns?: unknown[] }).campaigns ?? [];
  for (const c of list) {
    const { createdAt: _createdAt, ...def } = c as Record<string, unknown>;
    if (def.campaignId === campaignId) return campaignDefinition.parse(def);
  }
  return null;
}

export async function createCampaign(claimsUrl: string, def: CampaignDefinition): Promise<CampaignDefinition> {
  const r = await http(`${claimsUrl}/campaigns`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(def),
  });
  if (r.status !== 201) throw new Error(`POST ${claimsUrl}/campaigns answered ${r.status}: ${JSON.stringify(r.body)}`);
  return campaignDefinition.parse(r.body);
}

/** The campaign to claim against: the given one (must exist), or a fresh one created now. */
export async function ensureCampaign(o: {
  claimsUrl: string;
  campaignId?: string;
  runId: string;
  nowMs: number;
  passCap: number;
  window: WindowMode;
  delayNoticeAfterSeconds?: number;
}): Promise<{ definition: CampaignDefinition; created: boolean }> {
  if (o.campaignId) {
    const found = await findCampaign(o.claimsUrl, o.campaignId);
    if (!found) throw new Error(`campaign ${o.campaignId} not found at ${o.claimsUrl}/campaigns (omit --campaign to create a fresh one)`);
    return { definition: found, created: false };
  }
  const def = freshCampaign({
    campaignId: `lg-${o.runId}`,
    nowMs: o.nowMs,
    passCap: o.passCap,
    window: o.window,
    delayNoticeAfterSeconds: o.delayNoticeAfterSeconds,
  });
  return { definition: await createCampaign(o.claimsUrl, def), created: true };
}
