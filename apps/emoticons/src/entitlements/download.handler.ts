import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { waitReason } from '@platform/contracts';
import { Batch, Inbound, OnBatch, TxContext } from '@platform/messaging';
import { DownloadVerdict, isImplausibleDownloadTime, judgeDownload, reminderDueAt } from '@platform/rules';
import type { EmoticonsConfig } from '../config';
import { EMOTICONS_CONFIG } from '../tokens';
import { DownloadOutcome, DownloadRecord, Entitlement, EntitlementRepository, FirstDownload } from './entitlement.repository';

type Downloaded = Inbound<'emoticonDownloaded'>;

interface Decision {
  m: Downloaded;
  outcome: DownloadOutcome;
  activations: { entitlement: Entitlement; expiresAt: Date }[];
  firstDownloads: FirstDownload[];
}

const packKey = (accountId: string, emoticonId: string): string => `${accountId}\n${emoticonId}`;

/**
 * R5 on `emoticon.downloaded.v1`: the first download of a time-limited pack starts its clock and
 * publishes `emoticon.entitlement.activated.v1`; later downloads change nothing; a download at or
 * after the end is refused (`emoticon.download.rejected.v1`, EXPIRED); a download time later than
 * the message itself is refused as INVALID. A download of a pack the account holds no entitlement
 * to is retried (its grant may still be on its way on the other topic) and, past
 * EMOTICON_DOWNLOAD_WAIT_MS, parked in the DLQ as `DEFERRED_TIMEOUT: NOT_GRANTED ...`.
 * The first download of a permanent pack is recorded; no event, since the activated event's
 * `expiresAt` is required and a permanent pack has none.
 */
@Controller()
export class DownloadHandler {
  constructor(
    private readonly repo: EntitlementRepository,
    @Inject(EMOTICONS_CONFIG) private readonly config: EmoticonsConfig,
  ) {}

  @OnBatch('emoticonDownloaded')
  async onDownloaded(@Payload() messages: Batch<'emoticonDownloaded'>, @Ctx() ctx: TxContext): Promise<void> {
    // The same event twice in one chunk is one download.
    const byEvent = new Map<string, Downloaded>();
    for (const m of messages) if (!byEvent.has(m.value.eventId)) byEvent.set(m.value.eventId, m);
    const skewMs = this.config.EMOTICON_DOWNLOAD_SKEW_SECONDS * 1000;
    const all = [...byEvent.values()];
    const plausible = all.filter((m) => !isImplausibleDownloadTime(new Date(m.value.downloadedAt), m.timestamp, skewMs));

    // Lock the packs first, then look for decided events: whoever decided one of these events
    // before us held these locks, so its record is visible now (no double effect across racing
    // transactions, e.g. a deferred retry and a republished copy of the same event).
    const packs = new Map<string, Entitlement[]>();
    for (const e of await this.repo.lockPacks(
      ctx.manager,
      plausible.map((m) => ({ accountId: m.value.accountId, emoticonId: m.value.emoticonId })),
    )) {
      const k = packKey(e.accountId, e.emoticonId);
      packs.set(k, [...(packs.get(k) ?? []), e]);
    }
    const done = await this.repo.decidedDownloads(ctx.manager, [...byEvent.keys()]);

    const decisions: Decision[] = [];
    const plausibleSet = new Set(plausible);
    for (const m of all) {
      if (done.has(m.value.eventId) || plausibleSet.has(m)) continue;
      decisions.push({ m, outcome: 'INVALID', activations: [], firstDownloads: [] });
    }
    // Earliest download first, so that within a chunk the earliest one starts the clock.
    const ordered = plausible
      .filter((m) => !done.has(m.value.eventId))
      .map((m, i) => ({ m, i, at: new Date(m.value.downloadedAt) }))
      .sort((a, b) => a.at.getTime() - b.at.getTime() || a.i - b.i);
    for (const { m, at } of ordered) {
      const held = packs.get(packKey(m.value.accountId, m.value.emoticonId));
      if (!held || held.length === 0) {
        ctx.retryLater(
          m,
          waitReason(
            'NOT_GRANTED',
            `account ${m.value.accountId} holds no entitlement to ${m.value.emoticonId} (download ${m.value.eventId})`,
          ),
          this.config.EMOTICON_DOWNLOAD_WAIT_MS,
        );
        continue;
      }
      decisions.push(this.decide(m, at, held));
    }

    const recorded = await this.repo.recordDownloads(
      ctx.manager,
      decisions.map((d): DownloadRecord => ({
        eventId: d.m.value.eventId,
        accountId: d.m.value.accountId,
        emoticonId: d.m.value.emoticonId,
        downloadedAt: d.outcome === 'INVALID' ? null : new Date(d.m.value.downloadedAt),
        outcome: d.outcome,
      })),
      ctx.now,
    );
    const effective = decisions.filter((d) => recorded.has(d.m.value.eventId));
    const started = await this.repo.applyFirstDownloads(
      ctx.manager,
      effective.flatMap((d) => d.firstDownloads),
    );

    const decidedAt = ctx.now.toISOString();
    for (const d of effective) {
      const { eventId, accountId, emoticonId, downloadedAt } = d.m.value;
      switch (d.outcome) {
        case 'ACTIVATED':
          for (const a of d.activations) {
            if (!started.has(a.entitlement.entitlementId)) continue;
            ctx.emit(
              'entitlementActivated',
              {
                entitlementId: a.entitlement.entitlementId,
                eventId,
                accountId,
                emoticonId,
                activatedAt: new Date(downloadedAt).toISOString(),
                expiresAt: a.expiresAt.toISOString(),
              },
              d.m,
            );
          }
          break;
        case 'EXPIRED':
        case 'INVALID':
          ctx.emit('downloadRejected', { eventId, accountId, emoticonId, reason: d.outcome, decidedAt }, d.m);
          break;
        case 'FIRST_DOWNLOAD':
        case 'REPEAT':
          break;
      }
    }
  }

  /**
   * One download against the account's entitlements to that pack (normally one; one per campaign
   * if several campaigns granted the same pack). The in-memory rows are updated so later downloads
   * of the same chunk see the clock this one started.
   */
  private decide(m: Downloaded, at: Date, held: Entitlement[]): Decision {
    const d: Decision = { m, outcome: 'REPEAT', activations: [], firstDownloads: [] };
    const verdicts: DownloadVerdict[] = [];
    for (const e of held) {
      const v = judgeDownload(e, at);
      verdicts.push(v);
      switch (v.kind) {
        case 'ACTIVATE':
          e.firstDownloadedAt = at;
          e.expiresAt = v.expiresAt;
          d.activations.push({ entitlement: e, expiresAt: v.expiresAt });
          d.firstDownloads.push({
            entitlementId: e.entitlementId,
            eventId: m.value.eventId,
            downloadedAt: at,
            expiresAt: v.expiresAt,
            // the end is known only now; the lead was stored at grant (issue 19)
            remindAt: reminderDueAt(v.expiresAt, e.remindBeforeSeconds),
          });
          break;
        case 'FIRST_PERMANENT':
          e.firstDownloadedAt = at;
          d.firstDownloads.push({
            entitlementId: e.entitlementId,
            eventId: m.value.eventId,
            downloadedAt: at,
            expiresAt: null,
            remindAt: null,
          });
          break;
        case 'REPEAT':
        case 'EXPIRED':
          break;
      }
    }
    // Refused only when no entitlement to the pack was usable at that moment.
    if (verdicts.every((v) => v.kind === 'EXPIRED')) d.outcome = 'EXPIRED';
    else if (d.activations.length > 0) d.outcome = 'ACTIVATED';
    else if (d.firstDownloads.length > 0) d.outcome = 'FIRST_DOWNLOAD';
    return d;
  }
}
