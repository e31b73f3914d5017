import { Controller, Inject } from '@nestjs/common';
import { AccountId, AccountRead, Clock, CLOCK } from '@platform/messaging';
import { packViewAt } from '@platform/rules';
import { EntitlementRepository } from './entitlement.repository';

/** What the chat keyboard tab needs: each pack, its state, and until when it can be used. */
@Controller('entitlements')
export class EntitlementsController {
  constructor(
    private readonly repo: EntitlementRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @AccountRead()
  async byAccount(@AccountId() accountId: string) {
    const now = this.clock.now();
    const rows = await this.repo.byAccount(accountId);
    return {
      accountId,
      asOf: now.toISOString(),
      packs: rows.map((e) => {
        const view = packViewAt(e, now);
        return {
          entitlementId: e.entitlementId,
          campaignId: e.campaignId,
          emoticonId: e.emoticonId,
          name: e.name,
          /** NOT_DOWNLOADED | ACTIVE | EXPIRED, as of `asOf` (even before the expiry sweep ran). */
          state: view.state,
          usable: view.usable,
          permanent: view.permanent,
          /** For a time-limited pack: days counted from the first download. */
          validityDays: e.validityDays,
          grantedAt: e.grantedAt.toISOString(),
          firstDownloadedAt: e.firstDownloadedAt?.toISOString() ?? null,
          /** Usable strictly before this instant; null when permanent or not downloaded yet. */
          usableUntil: view.usableUntil?.toISOString() ?? null,
        };
      }),
    };
  }
}
