import { EvidenceCaseState, EvidenceDocument, judgeEvidenceSubmission } from './index';

const h = (c: string): string => c.repeat(64);
const doc = (documentId: string, sha = h('a')): EvidenceDocument => ({ documentId, sha256: sha });

describe('evidence submissions', () => {
  it.each<[EvidenceCaseState, string]>([
    ['NO_CASE', 'RECORDED'],
    ['PENDING', 'RECORDED'],
    ['NOT_IN_REVIEW', 'NOT_IN_REVIEW'],
    ['APPROVED', 'ALREADY_DECIDED'],
    ['DECLINED', 'ALREADY_DECIDED'],
  ])('case %s -> %s', (state, expected) => {
    const v = judgeEvidenceSubmission(state, [], [doc('d1')]);
    expect(v.ok ? 'RECORDED' : v.reason).toBe(expected);
  });

  it('adds new documents, keeps held ones, and lists every document held afterwards', () => {
    expect(judgeEvidenceSubmission('PENDING', [doc('d1')], [doc('d1'), doc('d2', h('b')), doc('d2', h('b'))])).toEqual({
      ok: true,
      add: [doc('d2', h('b'))],
      evidenceIds: ['d1', 'd2'],
    });
  });

  it('refuses, all or nothing, a document id that is held (or repeated) with another hash', () => {
    expect(judgeEvidenceSubmission('PENDING', [doc('d1')], [doc('d3'), doc('d1', h('c'))])).toMatchObject({
      ok: false,
      reason: 'EVIDENCE_CONFLICT',
    });
    expect(judgeEvidenceSubmission('NO_CASE', [], [doc('d1'), doc('d1', h('c'))])).toMatchObject({
      ok: false,
      reason: 'EVIDENCE_CONFLICT',
    });
  });
});
