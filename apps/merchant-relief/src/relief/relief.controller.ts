import { BadRequestException, Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { Roles } from '@platform/auth';
import { QueueCursor, ReliefRepository, ReviewFilter } from './relief.repository';

const ID = /^[\x21-\x7e]{1,128}$/;
const STATUSES: Record<string, ReviewFilter> = { pending: 'PENDING', approved: 'APPROVED', declined: 'DECLINED' };

const encodeCursor = (c: QueueCursor): string =>
  Buffer.from(JSON.stringify([c.decidedAt, c.campaignId, c.merchantId])).toString('base64url');

function decodeCursor(raw: string): QueueCursor {
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'string') && !Number.isNaN(Date.parse(v[0] as string))) {
      const [decidedAt, campaignId, merchantId] = v as [string, string, string];
      return { decidedAt, campaignId, merchantId };
    }
  } catch {
    // fall through
  }
  throw new BadRequestException({ error: 'INVALID_CURSOR' });
}

function optionalId(value: string | undefined, error: string): string | undefined {
  if (value === undefined) return undefined;
  if (!ID.test(value)) throw new BadRequestException({ error });
  return value;
}

/** Committee and ops reads (merchants are not accounts of the app backend). */
@Controller('relief')
@Roles('reader', 'ops')
export class ReliefController {
  constructor(private readonly queries: ReliefRepository) {}

  /** The committee's queue: merchants referred to review, oldest first, page by page. */
  @Get('reviews')
  async reviews(
    @Query('status') status = 'pending',
    @Query('campaignId') campaignId?: string,
    @Query('limit') limit = '100',
    @Query('after') after?: string,
  ) {
    const filter = STATUSES[status.toLowerCase()];
    if (!filter) throw new BadRequestException({ error: 'INVALID_STATUS', allowed: Object.keys(STATUSES) });
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new BadRequestException({ error: 'INVALID_LIMIT', allowed: '1..1000' });
    const items = await this.queries.reviewQueue(
      filter,
      optionalId(campaignId, 'INVALID_CAMPAIGN_ID'),
      n,
      after ? decodeCursor(after) : undefined,
    );
    const last = items[items.length - 1];
    return {
      status: status.toLowerCase(),
      reviews: items,
      next:
        items.length === n && last
          ? encodeCursor({ decidedAt: last.referredAt, campaignId: last.campaignId, merchantId: last.merchantId })
          : null,
    };
  }

  /** Totals per campaign and tier, with the payout ledger's totals and whether they balance. */
  @Get('summary')
  summary(@Query('campaignId') campaignId?: string) {
    return this.queries.summary(optionalId(campaignId, 'INVALID_CAMPAIGN_ID'));
  }

  /** A merchant's reliefs, review state, ledger entries and the answers to its events. */
  @Get(':merchantId')
  async merchant(@Param('merchantId') merchantId: string) {
    if (!ID.test(merchantId)) throw new BadRequestException({ error: 'INVALID_MERCHANT_ID' });
    const m = await this.queries.merchant(merchantId);
    if (!m) throw new NotFoundException({ error: 'UNKNOWN_MERCHANT', merchantId });
    return m;
  }
}
