import { z } from 'zod';
import { campaignDefined } from './outbound';

export type CampaignDefined = z.infer<typeof campaignDefined>;

/**
 * The one rule for applying compensation.campaign.defined.v1, used by every service that keeps a
 * copy of campaign definitions: a campaign is what its announcement with the latest `definedAt`
 * says; of two announcements with the same `definedAt`, the later one in the log wins (the claims
 * service stamps every announcement with its own clock, so a tie is a re-announcement of the same
 * definition). An older announcement, redelivered or arriving late, changes nothing.
 *
 * In a batch, {@link newestDefinitions} applies the rule in memory; against the stored copy, the
 * upsert applies it with {@link definitionReplacesSql} so that a late batch cannot overwrite.
 */
export function newestDefinitions(announcements: readonly { value: CampaignDefined }[]): CampaignDefined[] {
  const newest = new Map<string, CampaignDefined>();
  for (const { value } of announcements) {
    const seen = newest.get(value.campaign.campaignId);
    if (!seen || Date.parse(value.definedAt) >= Date.parse(seen.definedAt)) newest.set(value.campaign.campaignId, value);
  }
  return [...newest.values()];
}

/**
 * The rule's SQL side, for `INSERT ... ON CONFLICT (campaign_id) DO UPDATE ... WHERE <this>`:
 * the stored row (in `table`, with a `defined_at` column) is replaced only by an announcement
 * at least as new.
 */
export function definitionReplacesSql(table: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`not a table name: ${table}`);
  return `${table}.defined_at <= EXCLUDED.defined_at`;
}
