import { definitionReplacesSql, newestDefinitions } from './campaign-defined';
import type { CampaignDefined } from './campaign-defined';

const at = (campaignId: string, definedAt: string, name = campaignId): { value: CampaignDefined } => ({
  value: { definedAt, campaign: { campaignId, name } as unknown as CampaignDefined['campaign'] },
});
const names = (ds: CampaignDefined[]) => ds.map((d) => `${d.campaign.campaignId}:${(d.campaign as unknown as { name: string }).name}`);

describe('newestDefinitions (the compensation.campaign.defined.v1 rule)', () => {
  it('keeps the announcement with the latest definedAt per campaign, whatever the order in the batch', () => {
    const batch = [
      at('c1', '2026-12-01T10:00:00Z', 'new'),
      at('c1', '2026-12-01T09:00:00Z', 'old'),
      at('c2', '2026-12-01T08:00:00Z', 'only'),
    ];
    expect(names(newestDefinitions(batch))).toEqual(['c1:new', 'c2:only']);
  });

  it('lets the later one in the log win a tie', () => {
    const batch = [at('c1', '2026-12-01T10:00:00Z', 'first'), at('c1', '2026-12-01T10:00:00.000Z', 'second')];
    expect(names(newestDefinitions(batch))).toEqual(['c1:second']);
  });

  it('returns nothing for an empty batch', () => {
    expect(newestDefinitions([])).toEqual([]);
  });
});

describe('definitionReplacesSql', () => {
  it('replaces the stored row only with an announcement at least as new', () => {
    expect(definitionReplacesSql('campaign_reward')).toBe('campaign_reward.defined_at <= EXCLUDED.defined_at');
  });

  it('refuses anything that is not a plain table name', () => {
    expect(() => definitionReplacesSql('campaign; drop table claim')).toThrow(/not a table name/);
  });
});
