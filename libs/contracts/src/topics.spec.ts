import { allTopicSpecs, buildAsyncApi, decode, dlqName, formatReason, plannedTopics, Topics, TOPIC_NAME_GRAMMAR } from './index';

describe('topic registry', () => {
  /** A valid claimRequested value, every listed field present. */
  const claimRequested = {
    eventId: 'e1',
    campaignId: 'c',
    accountId: 'a',
    talkLinked: true,
    phoneNumber: '010-1234-5678',
    makersMember: false,
    requestedAt: '2023-01-05T00:00:00+09:00',
  };

  it.each(allTopicSpecs.map((t) => [t.name]))('%s follows the naming grammar', (name) => {
    expect(name).toMatch(TOPIC_NAME_GRAMMAR);
  });

  it('has unique names', () => {
    const names = allTopicSpecs.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('plans a dead-letter topic for every consumed topic, and only those', () => {
    const planned = plannedTopics().map((t) => t.name);
    for (const t of allTopicSpecs) {
      expect(planned.includes(dlqName(t.name))).toBe(t.consumed);
    }
  });

  it('accepts added fields on inbound topics and strips them', () => {
    const raw = Buffer.from(JSON.stringify({ ...claimRequested, extra: 1 }));
    const r = decode(Topics.claimRequested, raw);
    expect(r.ok).toBe(true);
    if (r.ok) expect(Object.keys(r.value)).not.toContain('extra');
  });

  it('still rejects a listed field that is missing or mistyped, with a readable reason', () => {
    const base = { ...claimRequested, appVersion: '10.2.1' };
    const { talkLinked: _omit, ...missing } = base;
    const r1 = decode(Topics.claimRequested, Buffer.from(JSON.stringify(missing)));
    expect(r1.ok ? '' : formatReason(r1.reason)).toMatch(/^SCHEMA_VIOLATION: talkLinked/);
    const r2 = decode(Topics.claimRequested, Buffer.from(JSON.stringify({ ...base, talkLinked: 'yes' })));
    expect(r2.ok ? '' : formatReason(r2.reason)).toMatch(/^SCHEMA_VIOLATION: talkLinked/);
  });

  it('rejects malformed JSON and empty values', () => {
    const bad = decode(Topics.claimRequested, Buffer.from('{nope'));
    expect(bad.ok ? '' : formatReason(bad.reason)).toMatch(/^MALFORMED_JSON/);
    const empty = decode(Topics.claimRequested, null);
    expect(empty.ok ? '' : formatReason(empty.reason)).toMatch(/^EMPTY_VALUE/);
  });

  it('requires an offset on instants', () => {
    const r = decode(
      Topics.emoticonDownloaded,
      Buffer.from(JSON.stringify({ eventId: 'e', accountId: 'a', emoticonId: 'x', downloadedAt: '2023-01-05T00:00:00' })),
    );
    expect(r.ok).toBe(false);
  });

  it('generates an AsyncAPI document with a channel per topic and per dead-letter topic', () => {
    const doc = buildAsyncApi('test') as { channels: Record<string, { address: string }> };
    const addresses = Object.values(doc.channels).map((c) => c.address);
    const expected = [...allTopicSpecs.map((t) => t.name), ...allTopicSpecs.filter((t) => t.consumed).map((t) => dlqName(t.name))];
    expect(addresses.sort()).toEqual(expected.sort());
  });
});
