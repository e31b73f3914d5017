import { BadRequestException, Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { Roles } from '@platform/auth';
import { externalId } from '@platform/contracts';
import { CampaignCost, CostService } from './cost.service';

@Controller('v1/campaigns')
export class CostController {
  constructor(private readonly costs: CostService) {}

  /**
   * "What has the campaign cost so far?": won granted (emoticon packs, passes sent) and redeemed
   * (coupons at face value) per item and per KST day, against the budget; committed passes and
   * outstanding coupons apart. Finance reads it with a `reader` token.
   */
  @Get(':campaignId/cost')
  @Roles('reader', 'ops')
  @ApiOperation({ summary: 'What the campaign has cost so far, per item and per KST day, against its budget' })
  @ApiOkResponse({
    description:
      'costWon = grantedWon (emoticon packs granted, passes sent, at the campaign unit values) + redeemedWon (coupons redeemed, ' +
      'at face value); budgetWon, remainingWon, shareUsed; committedWon (passes reserved, not sent); exposureWon (coupons issued, ' +
      'neither redeemed nor expired); items[] and days[] (Asia/Seoul). Built from events kept once by natural key.',
  })
  @ApiBadRequestResponse({ description: 'INVALID_CAMPAIGN_ID' })
  @ApiNotFoundResponse({ description: 'UNKNOWN_CAMPAIGN: neither its definition nor any decision of it has reached this service' })
  async cost(@Param('campaignId') campaignId: string): Promise<CampaignCost> {
    if (!externalId.safeParse(campaignId).success) throw new BadRequestException({ error: 'INVALID_CAMPAIGN_ID' });
    const c = await this.costs.cost(campaignId);
    if (!c) throw new NotFoundException({ error: 'UNKNOWN_CAMPAIGN', detail: `campaign ${campaignId} is not known to this service` });
    return c;
  }
}
