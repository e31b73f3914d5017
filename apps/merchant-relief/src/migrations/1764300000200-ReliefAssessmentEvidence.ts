import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 22: every relief keeps the explanation of its assessment (model version, inputs, factors,
 * loss, tier); review cases hold proof of damage by reference (document id + SHA-256, never the
 * document), and a committee decision records the documents it relied on. Evidence submissions get
 * one stored answer per event, like reports and decisions.
 */
export class ReliefAssessmentEvidence1764300000200 implements MigrationInterface {
  name = 'ReliefAssessmentEvidence1764300000200';

  async up(q: QueryRunner): Promise<void> {
    // null only for reliefs decided before explanations existed
    await q.query(`ALTER TABLE relief ADD COLUMN explanation jsonb`);
    await q.query(`ALTER TABLE relief ADD COLUMN model_version text`);
    await q.query(`ALTER TABLE relief ADD COLUMN review_evidence_ids text[]`);
    await q.query(
      `ALTER TABLE relief ADD CONSTRAINT relief_approval_has_evidence CHECK (review_status <> 'APPROVED' OR review_evidence_ids IS NULL OR cardinality(review_evidence_ids) > 0)`,
    );

    // Evidence per (campaign, merchant), held even before the report is decided (it may come first).
    // A document id names one document: it is never re-pointed to another hash.
    await q.query(`
      CREATE TABLE relief_evidence (
        campaign_id text NOT NULL,
        merchant_id text NOT NULL,
        document_id text NOT NULL,
        sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        -- the report or evidence event that attached it
        source_event_id text NOT NULL,
        received_at timestamptz NOT NULL,
        PRIMARY KEY (campaign_id, merchant_id, document_id)
      )`);
    await q.query(`CREATE INDEX relief_evidence_by_merchant ON relief_evidence (merchant_id)`);

    // The answer to every evidence submission event, as published.
    await q.query(`
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
      )`);
    await q.query(`CREATE INDEX evidence_submission_by_merchant ON evidence_submission (merchant_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE evidence_submission`);
    await q.query(`DROP TABLE relief_evidence`);
    await q.query(`ALTER TABLE relief DROP CONSTRAINT relief_approval_has_evidence`);
    await q.query(`ALTER TABLE relief DROP COLUMN review_evidence_ids`);
    await q.query(`ALTER TABLE relief DROP COLUMN model_version`);
    await q.query(`ALTER TABLE relief DROP COLUMN explanation`);
  }
}
