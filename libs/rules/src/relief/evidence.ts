/** A proof-of-damage document by reference: its id and SHA-256, never the document. */
export interface EvidenceDocument {
  readonly documentId: string;
  readonly sha256: string;
}

/** Where the merchant's relief stands in the campaign the evidence is for. */
export type EvidenceCaseState = 'NO_CASE' | 'NOT_IN_REVIEW' | 'PENDING' | 'APPROVED' | 'DECLINED';

export type EvidenceVerdict =
  | { ok: true; add: EvidenceDocument[]; evidenceIds: string[] }
  | { ok: false; reason: 'NOT_IN_REVIEW' | 'ALREADY_DECIDED' | 'EVIDENCE_CONFLICT'; detail: string };

/**
 * Whether a submission of evidence can be attached to a merchant's case, all or nothing:
 * - a case in review and still pending takes it; so does a merchant whose report is not decided
 *   yet (NO_CASE: the evidence is held for the case the report will open);
 * - a relief paid by tier needs no proof (NOT_IN_REVIEW); a decided case keeps the evidence its
 *   decision relied on (ALREADY_DECIDED);
 * - a document id already held (or repeated) with another hash is EVIDENCE_CONFLICT: a document
 *   id names one document; the same id with the same hash again is no change.
 * Returns the documents to add and every document id the case holds afterwards.
 */
export function judgeEvidenceSubmission(
  state: EvidenceCaseState,
  held: readonly EvidenceDocument[],
  submitted: readonly EvidenceDocument[],
): EvidenceVerdict {
  if (state === 'NOT_IN_REVIEW')
    return { ok: false, reason: 'NOT_IN_REVIEW', detail: 'the relief was decided by tier; no committee review to prove damage for' };
  if (state === 'APPROVED' || state === 'DECLINED')
    return { ok: false, reason: 'ALREADY_DECIDED', detail: `the committee already ${state.toLowerCase()} the case` };
  const known = new Map(held.map((d) => [d.documentId, d.sha256]));
  const add: EvidenceDocument[] = [];
  for (const d of submitted) {
    const hash = known.get(d.documentId);
    if (hash === undefined) {
      known.set(d.documentId, d.sha256);
      add.push({ documentId: d.documentId, sha256: d.sha256 });
    } else if (hash !== d.sha256) {
      return { ok: false, reason: 'EVIDENCE_CONFLICT', detail: `document ${d.documentId} is already held with another sha256` };
    }
  }
  return { ok: true, add, evidenceIds: [...known.keys()] };
}
