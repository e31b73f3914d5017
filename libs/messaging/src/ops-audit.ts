import { randomUUID } from 'node:crypto';
import type { TopicKey } from '@platform/contracts';
import { sqlMigration } from './sql-migration';
import { TxContext } from './tx-context';

/** The audit log of ops actions, in the database of the service that performed them. */
export class OpsAuditTable1764900000000 extends sqlMigration('OpsAuditTable1764900000000', {
  up: [
    `
      CREATE TABLE ops_audit (
        audit_id uuid PRIMARY KEY,
        at timestamptz NOT NULL,
        actor text NOT NULL,
        roles text[] NOT NULL,
        action text NOT NULL,
        target text NOT NULL,
        detail jsonb NOT NULL,
        source_address text
      )`,
    `CREATE INDEX ops_audit_at ON ops_audit (at)`,
  ],
  down: [`DROP TABLE ops_audit`],
}) {}

export interface OpsAction {
  /** Who (the token's subject) and with which roles. */
  actor: string;
  roles: string[];
  /** What, e.g. `passes.campaign.pause`. */
  action: string;
  target: string;
  detail: Record<string, unknown>;
  /** From where (peer address). */
  from: string | null;
}

/**
 * Records an ops action in the transaction that performs it: a row in `ops_audit` and the event on
 * the service's audit topic (through the outbox), so the change, its audit row and its event
 * commit or roll back together.
 */
export async function auditOpsAction(
  ctx: TxContext,
  topic: Extract<TopicKey, 'claimsOpsAudited' | 'passesOpsAudited'>,
  service: string,
  a: OpsAction,
): Promise<string> {
  const auditId = randomUUID();
  await ctx.query(
    `INSERT INTO ops_audit (audit_id, at, actor, roles, action, target, detail, source_address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [auditId, ctx.now, a.actor, a.roles, a.action, a.target, JSON.stringify(a.detail), a.from],
  );
  ctx.emit(topic, {
    auditId,
    service,
    actor: a.actor,
    roles: a.roles,
    action: a.action,
    target: a.target,
    detail: a.detail,
    from: a.from,
    at: ctx.now.toISOString(),
  });
  return auditId;
}
