import { BadRequestException, Body, ConflictException, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { Actor, CurrentActor, Roles } from '@platform/auth';
import { CampaignDefinitionError, CampaignExistsError, CampaignService } from './campaign.service';

@Controller('campaigns')
export class CampaignController {
  constructor(private readonly campaigns: CampaignService) {}

  @Get()
  @Roles('reader', 'ops')
  async list() {
    const rows = await this.campaigns.list();
    return { campaigns: rows.map((r) => ({ ...r.definition, createdAt: r.createdAt.toISOString() })) };
  }

  @Post()
  @HttpCode(201)
  @Roles('ops')
  async create(@Body() body: unknown, @CurrentActor() actor: Actor) {
    try {
      return await this.campaigns.create(body, actor);
    } catch (e) {
      if (e instanceof CampaignDefinitionError) throw new BadRequestException({ error: 'INVALID_CAMPAIGN', detail: e.message });
      if (e instanceof CampaignExistsError) throw new ConflictException({ error: 'CAMPAIGN_EXISTS', detail: e.message });
      throw e;
    }
  }
}
