import { sqlMigration } from '@platform/messaging';

/**
 * Issue 22: every relief keeps the explanation of its assessment (model version, inputs, factors,
 * loss, tier); review cases hold proof of damage by reference (document id + SHA-256, never the
 * document), and a committee decision records the documents it relied on. Evidence submissions get
 * one stored answer per event, like reports and decisions.
 */
export class ReliefAssessmentEvidence1764300000200 extends sqlMigration('ReliefAssessmentEvidence1764300000200', {
  up: [
    // null only for reliefs decided before explanations existed
    `ALTER TABLE relief ADD COLUMN explanation jsonb`,
    `ALTER TABLE relief ADD COLUMN model_version text`,
    `ALTER TABLE relief ADD COLUMN review_evidence_ids text[]`,
    `ALTER TABLE relief ADD CONSTRAINT relief_approval_has_evidence CHECK (review_status <> 'APPROVED' OR review_evidence_ids IS NULL OR cardinality(review_evidence_ids) > 0)`,

    // Evidence per (campaign, merchant), held even before the report is decided (it may come first).
    // A document id names one document: it is never re-pointed to another hash.
    `
      CREATE TABLE relief_evidence (
        campaign_id text NOT NULL,
        merchant_id text NOT NULL,
        document_id text NOT NULL,
        sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        -- the report or evidence event that attached it
        source_event_id text NOT NULL,
        received_at timestamptz NOT NULL,
        PRIMARY KEY (campaign_id, merchant_id, document_id)
      )`,
    `CREATE INDEX relief_evidence_by_merchant ON relief_evidence (merchant_id)`,

    // The answer to every evidence submission event, as published.
    `
      CREATE TABLE evidence_submission (
        event_id text PRIMARY KEY,
        campaign_id text NOT NULL,
        merchant_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('RECORDED', 'REJECTED')),
        reason text,
        submitted_at timestamptz NOT NULL,
        decided_at timestamptz NOT NULL,
        answer jsonb NOT NULL,
        CHECK ((status = 'REJECTED') = (reason IS NOT NULL))
      )`,
    `CREATE INDEX evidence_submission_by_merchant ON evidence_submission (merchant_id)`,
  ],
  down: [
    `DROP TABLE evidence_submission`,
    `DROP TABLE relief_evidence`,
    `ALTER TABLE relief DROP CONSTRAINT relief_approval_has_evidence`,
    `ALTER TABLE relief DROP COLUMN review_evidence_ids`,
    `ALTER TABLE relief DROP COLUMN model_version`,
    `ALTER TABLE relief DROP COLUMN explanation`,
  ],
}) {}
