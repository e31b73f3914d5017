import { BadRequestException, Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { NamesAccount, Roles } from '@platform/auth';
import { externalId } from '@platform/contracts';
import { Timeline, TimelineService } from './timeline.service';

@Controller('v1/accounts')
export class TimelineController {
  constructor(private readonly timelines: TimelineService) {}

  /** "What did I get, and when does my pass arrive?": the claim decision and every grant, one read. */
  @Get(':accountId/timeline')
  @Roles('app-backend', 'reader', 'ops')
  @NamesAccount({ param: 'accountId' })
  async timeline(@Param('accountId') accountId: string): Promise<Timeline> {
    if (!externalId.safeParse(accountId).success) throw new BadRequestException({ error: 'INVALID_ACCOUNT_ID' });
    const t = await this.timelines.timeline(accountId);
    if (!t) throw new NotFoundException({ error: 'NO_CLAIM', detail: `no claim or grant is known for account ${accountId}` });
    return t;
  }
}
