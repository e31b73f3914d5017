import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CampaignDefined, CampaignDefinition, definitionReplacesSql } from '@platform/contracts';

export type EntitlementState = 'GRANTED' | 'ACTIVE' | 'EXPIRED';
export type DownloadOutcome = 'ACTIVATED' | 'FIRST_DOWNLOAD' | 'REPEAT' | 'EXPIRED' | 'INVALID';

export interface GrantRow {
  entitlementId: string;
  claimId: string;
  claimEventId: string;
  campaignId: string;
  accountId: string;
  emoticonId: string;
  name: string;
  position: number;
  validityDays: number | null;
  /** The campaign's remindBeforeExpirySeconds; null: no reminder. */
  remindBeforeSeconds: number | null;
}

export interface Entitlement {
  entitlementId: string;
  campaignId: string;
  accountId: string;
  emoticonId: string;
  name: string;
  validityDays: number | null;
  state: EntitlementState;
  grantedAt: Date;
  firstDownloadedAt: Date | null;
  expiresAt: Date | null;
  remindBeforeSeconds: number | null;
  remindedAt: Date | null;
}

export interface FirstDownload {
  entitlementId: string;
  eventId: string;
  downloadedAt: Date;
  /** null for a permanent pack. */
  expiresAt: Date | null;
  /** When emoticon.entitlement.expiring-soon.v1 is due; null: permanent, or no reminder. */
  remindAt: Date | null;
}

export interface DownloadRecord {
  eventId: string;
  accountId: string;
  emoticonId: string;
  downloadedAt: Date | null;
  outcome: DownloadOutcome;
}

export interface ReminderRow {
  entitlementId: string;
  accountId: string;
  campaignId: string;
  emoticonId: string;
  expiresAt: Date;
}

export interface ExpiredRow {
  entitlementId: string;
  accountId: string;
  emoticonId: string;
  expiresAt: Date;
}

interface EntitlementDbRow {
  entitlement_id: string;
  campaign_id: string;
  account_id: string;
  emoticon_id: string;
  name: string;
  validity_days: number | null;
  state: EntitlementState;
  granted_at: Date;
  first_downloaded_at: Date | null;
  expires_at: Date | null;
  remind_before_seconds: number | null;
  reminded_at: Date | null;
}

const date = (d: Date | string | null): Date | null => (d === null ? null : new Date(d));
const toEntitlement = (r: EntitlementDbRow): Entitlement => ({
  entitlementId: r.entitlement_id,
  campaignId: r.campaign_id,
  accountId: r.account_id,
  emoticonId: r.emoticon_id,
  name: r.name,
  validityDays: r.validity_days,
  state: r.state,
  grantedAt: new Date(r.granted_at),
  firstDownloadedAt: date(r.first_downloaded_at),
  expiresAt: date(r.expires_at),
  remindBeforeSeconds: r.remind_before_seconds,
  remindedAt: date(r.reminded_at),
});

/** All SQL of the service. Every write is one set-based statement per chunk. */
@Injectable()
export class EntitlementRepository {
  constructor(private readonly ds: DataSource) {}

  /** Stores campaign definitions (one per campaign: newestDefinitions); one at least as new as the stored one replaces it (the contract's rule). */
  async saveCampaigns(m: EntityManager, defs: CampaignDefined[], now: Date): Promise<void> {
    if (defs.length === 0) return;
    await m.query(
      `INSERT INTO campaign (campaign_id, definition, defined_at, received_at)
       SELECT t.id, t.def, t.at, $4 FROM unnest($1::text[], $2::jsonb[], $3::timestamptz[]) AS t(id, def, at)
       ON CONFLICT (campaign_id) DO UPDATE SET definition = EXCLUDED.definition, defined_at = EXCLUDED.defined_at, received_at = EXCLUDED.received_at
        WHERE ${definitionReplacesSql('campaign')}`,
      [defs.map((d) => d.campaign.campaignId), defs.map((d) => JSON.stringify(d.campaign)), defs.map((d) => d.definedAt), now],
    );
  }

  async findCampaigns(m: EntityManager, ids: string[]): Promise<Map<string, CampaignDefinition>> {
    if (ids.length === 0) return new Map();
    const rows = (await m.query(`SELECT campaign_id, definition FROM campaign WHERE campaign_id = ANY($1)`, [ids])) as {
      campaign_id: string;
      definition: CampaignDefinition;
    }[];
    return new Map(rows.map((r) => [r.campaign_id, r.definition]));
  }

  /** Inserts grants; returns the ids actually inserted (not granted before, by id or by pack). */
  async insertGrants(m: EntityManager, rows: GrantRow[], now: Date): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const col = <T>(f: (r: GrantRow) => T): T[] => rows.map(f);
    const inserted = (await m.query(
      `INSERT INTO entitlement (entitlement_id, claim_id, claim_event_id, campaign_id, account_id, emoticon_id, name, position,
                                validity_days, remind_before_seconds, state, granted_at)
       SELECT t.*, 'GRANTED', $10::timestamptz
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::int[],
                     $11::int[]) AS t
       ON CONFLICT DO NOTHING
       RETURNING entitlement_id`,
      [
        col((r) => r.entitlementId),
        col((r) => r.claimId),
        col((r) => r.claimEventId),
        col((r) => r.campaignId),
        col((r) => r.accountId),
        col((r) => r.emoticonId),
        col((r) => r.name),
        col((r) => r.position),
        col((r) => r.validityDays),
        now,
        col((r) => r.remindBeforeSeconds),
      ],
    )) as { entitlement_id: string }[];
    return new Set(inserted.map((r) => r.entitlement_id));
  }

  /**
   * Locks (in id order, so concurrent chunks cannot deadlock) and returns the entitlements of the
   * given (account, emoticon) pairs. Holding these locks serializes every decision about a pack.
   */
  async lockPacks(m: EntityManager, pairs: { accountId: string; emoticonId: string }[]): Promise<Entitlement[]> {
    if (pairs.length === 0) return [];
    const rows = (await m.query(
      `SELECT e.entitlement_id, e.campaign_id, e.account_id, e.emoticon_id, e.name, e.validity_days, e.state, e.granted_at,
              e.first_downloaded_at, e.expires_at, e.remind_before_seconds, e.reminded_at
         FROM entitlement e
         JOIN (SELECT DISTINCT a, p FROM unnest($1::text[], $2::text[]) AS k(a, p)) k ON e.account_id = k.a AND e.emoticon_id = k.p
        ORDER BY e.entitlement_id
        FOR UPDATE OF e`,
      [pairs.map((p) => p.accountId), pairs.map((p) => p.emoticonId)],
    )) as EntitlementDbRow[];
    return rows.map(toEntitlement);
  }

  /** Which of these download events were decided already. */
  async decidedDownloads(m: EntityManager, eventIds: string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const rows = (await m.query(`SELECT event_id FROM download WHERE event_id = ANY($1)`, [eventIds])) as { event_id: string }[];
    return new Set(rows.map((r) => r.event_id));
  }

  /** Records decided downloads; returns the event ids actually inserted (first decision wins). */
  async recordDownloads(m: EntityManager, rows: DownloadRecord[], now: Date): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const inserted = (await m.query(
      `INSERT INTO download (event_id, account_id, emoticon_id, downloaded_at, outcome, decided_at)
       SELECT t.*, $6::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[]) AS t
       ON CONFLICT (event_id) DO NOTHING
       RETURNING event_id`,
      [
        rows.map((r) => r.eventId),
        rows.map((r) => r.accountId),
        rows.map((r) => r.emoticonId),
        rows.map((r) => r.downloadedAt),
        rows.map((r) => r.outcome),
        now,
      ],
    )) as { event_id: string }[];
    return new Set(inserted.map((r) => r.event_id));
  }

  /** Starts clocks (or records the first download of a permanent pack); returns the rows changed. */
  async applyFirstDownloads(m: EntityManager, rows: FirstDownload[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const changed = (await m.query(
      `UPDATE entitlement e
          SET state = 'ACTIVE', first_downloaded_at = u.downloaded_at, first_download_event_id = u.event_id, expires_at = u.expires_at,
              remind_at = u.remind_at
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[])
           AS u(entitlement_id, event_id, downloaded_at, expires_at, remind_at)
        WHERE e.entitlement_id = u.entitlement_id AND e.first_downloaded_at IS NULL
       RETURNING e.entitlement_id`,
      [
        rows.map((r) => r.entitlementId),
        rows.map((r) => r.eventId),
        rows.map((r) => r.downloadedAt),
        rows.map((r) => r.expiresAt),
        rows.map((r) => r.remindAt),
      ],
    )) as [{ entitlement_id: string }[], number] | { entitlement_id: string }[];
    return new Set(updateRows(changed).map((r) => r.entitlement_id));
  }

  /**
   * Expires up to `limit` running clocks whose end has passed. Rows another sweeper holds are
   * skipped (SKIP LOCKED), and a row expired by a sweeper that committed meanwhile no longer
   * matches `state = 'ACTIVE'` when re-checked, so each entitlement expires exactly once. The
   * partial index on expires_at makes this an index range scan that stops after `limit` rows.
   */
  async expireDue(m: EntityManager, now: Date, limit: number): Promise<ExpiredRow[]> {
    const res = (await m.query(
      `WITH due AS (
         SELECT entitlement_id FROM entitlement
          WHERE state = 'ACTIVE' AND expires_at IS NOT NULL AND expires_at <= $1
          ORDER BY expires_at
          LIMIT $2
          FOR UPDATE SKIP LOCKED)
       UPDATE entitlement e SET state = 'EXPIRED', expired_at = $1
         FROM due
        WHERE e.entitlement_id = due.entitlement_id AND e.state = 'ACTIVE'
       RETURNING e.entitlement_id, e.account_id, e.emoticon_id, e.expires_at`,
      [now, limit],
    )) as [ExpiredDbRow[], number] | ExpiredDbRow[];
    return updateRows(res).map((r) => ({
      entitlementId: r.entitlement_id,
      accountId: r.account_id,
      emoticonId: r.emoticon_id,
      expiresAt: new Date(r.expires_at),
    }));
  }

  /**
   * Marks up to `limit` due reminders sent and returns them: running clocks (ACTIVE, so not expired
   * by the sweep) not past their end whose remind_at has passed. `reminded_at IS NULL` re-checked in
   * the UPDATE, with SKIP LOCKED, sends each reminder once across replicas and restarts (the caller
   * emits in the same transaction). Permanent packs have no remind_at.
   */
  async remindDue(m: EntityManager, now: Date, limit: number): Promise<ReminderRow[]> {
    const res = (await m.query(
      `WITH due AS (
         SELECT entitlement_id FROM entitlement
          WHERE state = 'ACTIVE' AND remind_at IS NOT NULL AND reminded_at IS NULL AND remind_at <= $1 AND expires_at > $1
          ORDER BY remind_at
          LIMIT $2
          FOR UPDATE SKIP LOCKED)
       UPDATE entitlement e SET reminded_at = $1
         FROM due
        WHERE e.entitlement_id = due.entitlement_id AND e.state = 'ACTIVE' AND e.reminded_at IS NULL
       RETURNING e.entitlement_id, e.account_id, e.campaign_id, e.emoticon_id, e.expires_at`,
      [now, limit],
    )) as [ReminderDbRow[], number] | ReminderDbRow[];
    return updateRows(res).map((r) => ({
      entitlementId: r.entitlement_id,
      accountId: r.account_id,
      campaignId: r.campaign_id,
      emoticonId: r.emoticon_id,
      expiresAt: new Date(r.expires_at),
    }));
  }

  /** An account's packs in grant order (campaign order within a grant). */
  async byAccount(accountId: string): Promise<Entitlement[]> {
    const rows = (await this.ds.query(
      `SELECT entitlement_id, campaign_id, account_id, emoticon_id, name, validity_days, state, granted_at, first_downloaded_at, expires_at,
              remind_before_seconds, reminded_at
         FROM entitlement WHERE account_id = $1 ORDER BY granted_at, campaign_id, position`,
      [accountId],
    )) as EntitlementDbRow[];
    return rows.map(toEntitlement);
  }
}

interface ReminderDbRow {
  entitlement_id: string;
  account_id: string;
  campaign_id: string;
  emoticon_id: string;
  expires_at: Date;
}

interface ExpiredDbRow {
  entitlement_id: string;
  account_id: string;
  emoticon_id: string;
  expires_at: Date;
}

/** TypeORM's postgres driver returns `[rows, affectedCount]` for UPDATE ... RETURNING. */
function updateRows<T>(res: [T[], number] | T[]): T[] {
  if (res.length === 2 && Array.isArray(res[0]) && typeof res[1] === 'number') return res[0];
  return res as T[];
}
