// Hostile input: what an attacker, a broken client or a bad release can put on the topics the
// platform consumes, one defect per case, and what the platform owes each (issue 14). Pure: no
// I/O; the e2e suite and the chaos drill send these and check the answers.
import { PayloadOf, TopicKey, Topics } from '@platform/contracts';

/** One header exactly as sent: any bytes, repeated keys allowed. */
export type RawHeader = [key: string, value: Buffer];

export interface HostileMessage {
  /** Class of bad input (a case id); several messages may share one. */
  kind: string;
  topic: TopicKey;
  key: Buffer | string | null;
  value: Buffer | null;
  headers: RawHeader[];
  /**
   * PARKED: every consuming group parks it in `<topic>.dlq` with a reason. DECIDED: one decision
   * event for `eventId` (nothing parked). DECIDED_AND_PARKED: the first body is decided once, this
   * other body under the same eventId is parked (EVENT_ID_REUSED).
   */
  expect: 'PARKED' | 'DECIDED' | 'REUSED';
  eventId?: string;
  /** The DLQ reason must match (when parked). */
  reason?: RegExp;
}

/** Header that lets the suite find its own messages in the DLQ (kept there byte for byte). */
export const HOSTILE_ID_HEADER = 'x-hostile-id';

const ASCII = (s: string): Buffer => Buffer.from(s, 'utf8');
const NUL = Buffer.from([0x00]);
const NOT_UTF8 = Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x80]);

export interface HostileContext {
  runId: string;
  /** Campaign every claim names (the seeded default campaign works: its window is judged on requestedAt). */
  campaignId: string;
  /** A moment inside that campaign's window. */
  inWindow: string;
  now: Date;
}

/** A body every consumer of the topic decides without parking, and the decision's eventId. */
export function validBody(topic: TopicKey, c: HostileContext, n: number): Record<string, unknown> | null {
  const eventId = `hx-${c.runId}-${n}`;
  const accountId = `hx-${c.runId}-acct-${n}`;
  const later = new Date(c.now.getTime() + 86_400_000).toISOString();
  if (topic === 'claimRequested') {
    return {
      eventId,
      campaignId: c.campaignId,
      accountId,
      talkLinked: true,
      phoneNumber: `010-2${String(100 + (n % 900))}-${String(1000 + (n % 9000))}`,
      makersMember: n % 2 === 0,
      requestedAt: c.inWindow,
    } satisfies PayloadOf<'claimRequested'>;
  }
  // A tap reported from the future: decided at once (INVALID), no waiting for a grant.
  if (topic === 'emoticonDownloaded') return { eventId, accountId, emoticonId: 'broken-bear', downloadedAt: later };
  if (topic === 'couponRedemptionRequested') {
    return {
      eventId,
      couponId: `cpn_hx_${c.runId}_${n}`,
      accountId,
      orderId: `ord-${n}`,
      orderAmountWon: 5000,
      requestedAt: c.now.toISOString(),
    };
  }
  if (topic === 'passRegistrationRequested') {
    return { eventId, passId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, accountId, requestedAt: c.now.toISOString() };
  }
  return null;
}

/** Where the decision for a valid body of `topic` is published (null: no observable decision). */
export const DECISION_TOPIC: Partial<Record<TopicKey, TopicKey>> = {
  claimRequested: 'claimDecided',
  emoticonDownloaded: 'downloadRejected',
  couponRedemptionRequested: 'couponRedemptionDecided',
  passRegistrationRequested: 'passRegistrationDecided',
};

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

/** Value-level defects that no topic's schema accepts: parked by every consuming group. */
function genericCases(topic: TopicKey, base: Record<string, unknown>): Omit<HostileMessage, 'topic' | 'headers' | 'key'>[] {
  const text = JSON.stringify(base);
  let deep = '';
  for (let i = 0; i < 50_000; i++) deep += '[';
  return [
    { kind: 'null-value', value: null, expect: 'PARKED', reason: /^EMPTY_VALUE/ },
    { kind: 'empty-value', value: Buffer.alloc(0), expect: 'PARKED', reason: /^EMPTY_VALUE/ },
    { kind: 'truncated-json', value: ASCII(text.slice(0, Math.floor(text.length / 2))), expect: 'PARKED', reason: /^MALFORMED_JSON/ },
    { kind: 'over-parse-limit', value: Buffer.alloc(70 * 1024, 'a'), expect: 'PARKED', reason: /^TOO_LARGE/ },
    {
      kind: 'near-broker-limit',
      value: Buffer.concat([ASCII('{"x":"'), Buffer.alloc(900 * 1024, 'b'), ASCII('"}')]),
      expect: 'PARKED',
      reason: /^TOO_LARGE/,
    },
    { kind: 'deeply-nested', value: ASCII(deep), expect: 'PARKED', reason: /^MALFORMED_JSON|^SCHEMA_VIOLATION/ },
    { kind: 'json-array', value: json([base]), expect: 'PARKED', reason: /^SCHEMA_VIOLATION/ },
    { kind: 'json-string', value: json(text), expect: 'PARKED', reason: /^SCHEMA_VIOLATION/ },
    { kind: 'utf8-bom', value: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), ASCII(text)]), expect: 'PARKED', reason: /^MALFORMED_JSON/ },
    {
      kind: 'not-utf8-bytes',
      value: Buffer.concat([ASCII(text.slice(0, 10)), NOT_UTF8, ASCII(text.slice(10))]),
      expect: 'PARKED',
      reason: /^MALFORMED_JSON|^SCHEMA_VIOLATION/,
    },
    { kind: 'nan-literal', value: ASCII(text.replace(/^\{/, '{"n":NaN,')), expect: 'PARKED', reason: /^MALFORMED_JSON/ },
    {
      kind: 'all-null-fields',
      value: json(Object.fromEntries(Object.keys(base).map((k) => [k, null]))),
      expect: 'PARKED',
      reason: /^SCHEMA_VIOLATION/,
    },
    { kind: 'empty-object', value: json({}), expect: 'PARKED', reason: /^SCHEMA_VIOLATION/ },
    {
      kind: 'missing-field',
      value: json(Object.fromEntries(Object.entries(base).slice(1))),
      expect: 'PARKED',
      reason: /^SCHEMA_VIOLATION/,
    },
  ].map((c) => ({ ...c, kind: `${topic}:${c.kind}` })) as Omit<HostileMessage, 'topic' | 'headers' | 'key'>[];
}

/** Field-level defects, from a valid body of an inbound topic. */
function fieldCases(topic: TopicKey, base: Record<string, unknown>): Omit<HostileMessage, 'topic' | 'headers' | 'key'>[] {
  const fields = Object.entries(base);
  const timeField = fields.find(([k]) => k.endsWith('At'))?.[0];
  const idField = fields.find(([k, v]) => typeof v === 'string' && k.endsWith('Id') && k !== 'eventId')?.[0] ?? 'eventId';
  const typed = fields.find(([, v]) => typeof v === 'number' || typeof v === 'boolean');
  const out: { kind: string; value: Buffer }[] = [
    { kind: 'id-with-nul', value: json({ ...base, [idField]: 'a\u0000b' }) },
    { kind: 'id-10kb', value: json({ ...base, [idField]: 'x'.repeat(10_000) }) },
    { kind: 'id-as-object', value: json({ ...base, [idField]: { $gt: '' } }) },
  ];
  if (timeField) {
    const t = String(base[timeField]);
    out.push(
      { kind: 'time-without-offset', value: json({ ...base, [timeField]: t.replace(/(Z|[+-]\d\d:\d\d)$/, '') }) },
      { kind: 'time-offset-25h', value: json({ ...base, [timeField]: t.replace(/(Z|[+-]\d\d:\d\d)$/, '+25:00') }) },
      { kind: 'impossible-date', value: json({ ...base, [timeField]: '2023-02-30T10:00:00+09:00' }) },
      { kind: 'hour-24', value: json({ ...base, [timeField]: '2023-01-10T24:00:00+09:00' }) },
      { kind: 'time-as-epoch-number', value: json({ ...base, [timeField]: 1673319600000 }) },
      {
        kind: 'huge-number',
        value: ASCII(JSON.stringify({ ...base, [timeField]: 0 }).replace(`"${timeField}":0`, `"${timeField}":1e309`)),
      },
    );
  }
  if (typed) out.push({ kind: 'number-or-boolean-as-string', value: json({ ...base, [typed[0]]: String(typed[1]) }) });
  return out.map((c) => ({ kind: `${topic}:${c.kind}`, value: c.value, expect: 'PARKED' as const, reason: /^SCHEMA_VIOLATION/ }));
}

/**
 * Every case for every consumed topic. `consumed` lists the topics with a consumer; `n` numbers
 * the messages (each valid body gets its own eventId). Returns the messages in sending order.
 */
export function hostileCatalogue(consumed: readonly TopicKey[], c: HostileContext): HostileMessage[] {
  let n = 0;
  const out: HostileMessage[] = [];
  const push = (m: Omit<HostileMessage, 'headers'> & { headers?: RawHeader[] }) => {
    const id = `${c.runId}-${out.length}`;
    out.push({ ...m, headers: [...(m.headers ?? []), [HOSTILE_ID_HEADER, ASCII(id)]] });
  };
  for (const topic of consumed) {
    const base = validBody(topic, c, n++) ?? { eventId: `hx-${c.runId}-${n}`, note: 'not a valid body of this topic' };
    const key = `hx-${c.runId}-k${n}`;
    for (const g of genericCases(topic, base)) push({ ...g, topic, key });
    // The 30-byte message: NUL in the key, malformed JSON (halted a partition for good).
    push({
      kind: `${topic}:nul-key-malformed`,
      topic,
      key: Buffer.concat([ASCII('acct'), NUL, ASCII('x')]),
      value: ASCII('{"eventId": "x", oops'),
      expect: 'PARKED',
      reason: /^MALFORMED_JSON/,
    });
    push({
      kind: `${topic}:not-utf8-key-malformed`,
      topic,
      key: NOT_UTF8,
      value: ASCII('{oops'),
      expect: 'PARKED',
      reason: /^MALFORMED_JSON/,
    });
    push({
      kind: `${topic}:hostile-headers-malformed`,
      topic,
      key,
      value: ASCII('not json'),
      headers: [
        ['x-nul', Buffer.concat([ASCII('a'), NUL, ASCII('b')])],
        ['x-bin', NOT_UTF8],
        ['x-dup', ASCII('1')],
        ['x-dup', ASCII('2')],
        ['dlq-reason', ASCII('FORGED: trust me')],
        ['traceparent', ASCII('00-zzzz-not-a-trace')],
      ],
      expect: 'PARKED',
      reason: /^MALFORMED_JSON/,
    });
    if (validBody(topic, c, 0) === null) continue;
    for (const f of fieldCases(topic, base)) push({ ...f, topic, key });

    // Bodies the contract accepts, delivered in hostile ways: decided exactly once.
    const decided = (kind: string, body: Record<string, unknown>, extra: Partial<HostileMessage> = {}, raw?: Buffer) =>
      push({ kind: `${topic}:${kind}`, topic, key, value: raw ?? json(body), expect: 'DECIDED', eventId: String(body.eventId), ...extra });
    const fresh = () => validBody(topic, c, n++) as Record<string, unknown>;
    decided('nul-key-valid-body', fresh(), { key: Buffer.concat([ASCII('acct'), NUL]) });
    decided('not-utf8-key-valid-body', fresh(), { key: NOT_UTF8 });
    decided('hostile-headers-valid-body', fresh(), {
      headers: [
        ['x-nul', NUL],
        ['x-bin', NOT_UTF8],
        ['x-dup', ASCII('1')],
        ['x-dup', ASCII('2')],
      ],
    });
    decided('added-field', { ...fresh(), appVersion: '10.3.1', nested: { deep: [1, 2, 3] } });
    const proto = fresh();
    decided(
      'proto-key',
      proto,
      {},
      ASCII(JSON.stringify(proto).replace(/^\{/, '{"__proto__":{"talkLinked":false,"isAdmin":true},"constructor":{"prototype":{"x":1}},')),
    );
    const dup = fresh();
    decided('duplicate-json-keys', dup, {}, ASCII(JSON.stringify(dup).replace(/^\{/, `{"eventId":"shadowed-${c.runId}",`)));
    // The same request on two partitions at once (a retry that came back with another key).
    const twice = fresh();
    decided('same-event-two-partitions', twice, { key: `${key}-a` });
    decided('same-event-two-partitions', twice, { key: `${key}-b`, expect: 'DECIDED' });
    if (topic === 'claimRequested' || topic === 'couponRedemptionRequested' || topic === 'passRegistrationRequested') {
      // The same eventId with another body: the first is decided, the other parked.
      const first = fresh();
      decided('event-id-reused', first);
      const other = { ...first, accountId: `${String(first.accountId)}-other` };
      push({
        kind: `${topic}:event-id-reused`,
        topic,
        key,
        value: json(other),
        expect: 'REUSED',
        eventId: String(first.eventId),
        reason: /^EVENT_ID_REUSED/,
      });
    }
    if (topic === 'claimRequested') {
      decided('unknown-campaign', { ...fresh(), campaignId: `hx-${c.runId}-no-such-campaign` });
      decided('forged-future-tap', { ...fresh(), requestedAt: new Date(c.now.getTime() + 3 * 86_400_000).toISOString() });
      decided('year-0001-tap', { ...fresh(), requestedAt: '0001-01-01T00:00:00+09:00' });
      decided('phone-control-chars', { ...fresh(), phoneNumber: '010-\u0001\ufffd-1234' });
      decided('phone-10-digits-plus-text', { ...fresh(), phoneNumber: '+82 10 1234 5678 ext. 99; DROP TABLE claim' });
    }
  }
  return out;
}

/** Every consumed topic, as the contract lists them. */
export function consumedTopics(): TopicKey[] {
  return (Object.keys(Topics) as TopicKey[]).filter((k) => Topics[k].consumed);
}
