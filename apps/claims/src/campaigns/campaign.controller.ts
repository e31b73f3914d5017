import { BadRequestException, Body, ConflictException, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { CampaignDefinitionError, CampaignExistsError, CampaignService } from './campaign.service';

@Controller('campaigns')
export class CampaignController {
  constructor(private readonly campaigns: CampaignService) {}

  @Get()
  async list() {
    const rows = await this.campaigns.list();
    return { campaigns: rows.map((r) => ({ ...r.definition, createdAt: r.createdAt.toISOString() })) };
  }

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown) {
    try {
      return await this.campaigns.create(body);
    } catch (e) {
      if (e instanceof CampaignDefinitionError) throw new BadRequestException({ error: 'INVALID_CAMPAIGN', detail: e.message });
      if (e instanceof CampaignExistsError) throw new ConflictException({ error: 'CAMPAIGN_EXISTS', detail: e.message });
      throw e;
    }
  }
}
