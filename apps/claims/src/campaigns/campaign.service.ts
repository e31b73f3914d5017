import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { CampaignDefinition, campaignDefinition, formatZodError } from '@platform/contracts';
import type { Actor } from '@platform/auth';
import { auditOpsAction, MessagingRuntime, TxContext } from '@platform/messaging';
import { CampaignRepository, CampaignRow } from './campaign.repository';

export class CampaignDefinitionError extends Error {}
export class CampaignExistsError extends Error {}

@Injectable()
export class CampaignService implements OnApplicationBootstrap {
  private readonly log = new Logger('Campaigns');

  constructor(
    private readonly repo: CampaignRepository,
    private readonly messaging: MessagingRuntime,
  ) {}

  /** Announces campaigns seeded by migration (or left unannounced by a crash). */
  async onApplicationBootstrap(): Promise<void> {
    await this.messaging.transaction(async (ctx) => {
      const pending = await this.repo.takeUnannounced(ctx.manager);
      await this.announce(ctx, pending);
      if (pending.length) this.log.log(`announced ${pending.map((p) => p.campaignId).join(', ')}`);
    }, 'campaign announcement');
  }

  /** Validates and stores a campaign, and announces it in the same transaction (audited when an ops `actor` created it). */
  async create(input: unknown, actor?: Actor): Promise<CampaignDefinition> {
    const parsed = campaignDefinition.safeParse(input);
    if (!parsed.success) throw new CampaignDefinitionError(formatZodError(parsed.error));
    const def = parsed.data;
    await this.messaging.transaction(async (ctx) => {
      if (!(await this.repo.insert(ctx.manager, def))) throw new CampaignExistsError(`campaign ${def.campaignId} already exists`);
      const [row] = await this.repo.takeUnannounced(ctx.manager).then((rows) => rows.filter((r) => r.campaignId === def.campaignId));
      if (row) await this.announce(ctx, [row]);
      if (actor) {
        const detail = { opensAt: def.opensAt, closesAt: def.closesAt, rewards: def.rewards };
        await auditOpsAction(ctx, 'claimsOpsAudited', 'claims', {
          actor: actor.subject,
          roles: actor.roles,
          action: 'claims.campaign.create',
          target: def.campaignId,
          detail,
          from: actor.from,
        });
      }
    });
    return def;
  }

  list(): Promise<CampaignRow[]> {
    return this.repo.list();
  }

  private async announce(ctx: TxContext, rows: CampaignRow[]): Promise<void> {
    for (const r of rows) ctx.emit('campaignDefined', { definedAt: ctx.now.toISOString(), campaign: r.definition });
    if (rows.length)
      await this.repo.markAnnounced(
        ctx.manager,
        rows.map((r) => r.campaignId),
        ctx.now,
      );
  }
}
