import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { Roles } from '@platform/auth';
import { externalId } from '@platform/contracts';
import { ClaimReconcileSweep, ReconciliationReport } from './claim-reconcile.sweep';

@Controller('v1/reconciliation')
export class ReconciliationController {
  constructor(private readonly reconciler: ClaimReconcileSweep) {}

  /** Gift packs that converge: claims re-driven, stuck and completed (per campaign), and the stuck ones (first `limit`, default 50). */
  @Get()
  @Roles('reader', 'ops')
  async report(@Query('limit') limit?: string, @Query('campaignId') campaignId?: string): Promise<ReconciliationReport> {
    const n = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(n) || n < 0 || n > 1000) throw new BadRequestException({ error: 'INVALID_LIMIT', detail: 'limit: 0..1000' });
    if (campaignId !== undefined && !externalId.safeParse(campaignId).success)
      throw new BadRequestException({ error: 'INVALID_CAMPAIGN_ID' });
    return this.reconciler.report({ limit: n, ...(campaignId !== undefined ? { campaignId } : {}) });
  }
}
