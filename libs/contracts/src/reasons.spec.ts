import { DLQ_REASONS, dlqReason, formatReason, parseDlqReason, WAIT_REASONS, waitReason } from './index';

describe('DLQ reasons', () => {
  it('keep the wire format CODE: detail', () => {
    expect(formatReason(dlqReason('SCHEMA_VIOLATION', 'talkLinked: expected boolean'))).toBe(
      'SCHEMA_VIOLATION: talkLinked: expected boolean',
    );
    expect(formatReason(dlqReason('NO_HANDLER', ''))).toBe('NO_HANDLER');
  });

  it('read back header values written before the codes were typed', () => {
    expect(parseDlqReason('MALFORMED_JSON: Unexpected token n in JSON at position 1')).toEqual({
      code: 'MALFORMED_JSON',
      detail: 'Unexpected token n in JSON at position 1',
    });
    expect(parseDlqReason('DEFERRED_TIMEOUT: NOT_GRANTED: account a holds no entitlement to x (gave up after 7 attempts)')).toEqual({
      code: 'DEFERRED_TIMEOUT',
      detail: 'NOT_GRANTED: account a holds no entitlement to x (gave up after 7 attempts)',
    });
    expect(parseDlqReason('EVENT_ID_REUSED')).toEqual({ code: 'EVENT_ID_REUSED', detail: '' });
  });

  it('do not take a code nobody wrote (e.g. a forged header) for one of theirs', () => {
    expect(parseDlqReason('FORGED: trust me')).toEqual({ code: null, detail: 'FORGED: trust me' });
    expect(parseDlqReason('toString: x').code).toBeNull();
  });

  it('round-trip every code, with a wait reason inside a timeout', () => {
    for (const code of Object.keys(DLQ_REASONS) as (keyof typeof DLQ_REASONS)[]) {
      expect(parseDlqReason(formatReason(dlqReason(code, 'detail: with colon')))).toEqual({ code, detail: 'detail: with colon' });
    }
    for (const code of Object.keys(WAIT_REASONS) as (keyof typeof WAIT_REASONS)[]) {
      const wire = formatReason(dlqReason('DEFERRED_TIMEOUT', formatReason(waitReason(code, 'id 1'))));
      expect(wire).toBe(`DEFERRED_TIMEOUT: ${code}: id 1`);
    }
  });

  it('keep wait codes and dead-letter codes apart', () => {
    expect(Object.keys(WAIT_REASONS).filter((k) => k in DLQ_REASONS)).toEqual([]);
  });
});
