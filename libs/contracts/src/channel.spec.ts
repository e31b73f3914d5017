import {
  channelError,
  ChannelHeaders,
  channelIdempotencyKey,
  ChannelPaths,
  channelSendPassAccepted,
  channelSendPassRequest,
  ChannelStatus,
} from './channel';

// The wire as the pass dispatcher and Kakao's channel speak it today: changing any of it is a
// change of the channel's API, not a refactoring.
describe('Talk Drawer channel HTTP schema', () => {
  it('names the send path, its headers and statuses as the channel does', () => {
    expect(ChannelPaths).toEqual({ passes: '/v1/passes' });
    expect(ChannelHeaders).toEqual({ idempotencyKey: 'Idempotency-Key', retryAfter: 'Retry-After', retryAfterMs: 'Retry-After-Ms' });
    expect(ChannelStatus).toEqual({ delivered: 201, duplicate: 200, badRequest: 400, keyReused: 422, rateLimited: 429, unavailable: 503 });
  });

  it('takes a pass with extra fields kept, and refuses one without an account or with slot 0', () => {
    const send = { passId: 'p-1', accountId: 'a-1', campaignId: 'c-1', slot: 1, storageGb: 5 };
    expect(channelSendPassRequest.parse(send)).toEqual(send);
    expect(channelSendPassRequest.parse({ passId: 'p-1', accountId: 'a-1', slot: 1 })).toEqual({
      passId: 'p-1',
      accountId: 'a-1',
      slot: 1,
    });
    expect(channelSendPassRequest.safeParse({ passId: 'p-1', slot: 1 }).success).toBe(false);
    expect(channelSendPassRequest.safeParse({ passId: 'p-1', accountId: 'a-1', slot: 0 }).success).toBe(false);
    expect(channelSendPassRequest.safeParse({ passId: 'p-1', accountId: 'a-1', slot: 1.5 }).success).toBe(false);
  });

  it.each([
    ['3f2b6c1e-pass', true],
    ['x'.repeat(200), true],
    ['x'.repeat(201), false],
    ['', false],
    ['with space', false],
    ['ünicode', false],
  ])('idempotency key %p: %p', (key, ok) => {
    expect(channelIdempotencyKey.safeParse(key).success).toBe(ok);
  });

  it('reads the answers: a delivery (or its duplicate) with the delivery record, or an error code', () => {
    const delivery = {
      sequence: 1,
      idempotencyKey: 'p-1',
      passId: 'p-1',
      accountId: 'a-1',
      campaignId: null,
      slot: 1,
      deliveredAt: '2023-01-10T00:00:00.000Z',
    };
    expect(channelSendPassAccepted.parse({ duplicate: true, delivery })).toEqual({ duplicate: true, delivery });
    expect(channelError.parse({ error: 'RATE_LIMITED', retryAfterMs: 120 })).toEqual({ error: 'RATE_LIMITED', retryAfterMs: 120 });
    expect(channelError.parse({ error: 'IDEMPOTENCY_KEY_REUSED', delivery })).toMatchObject({ delivery });
    expect(channelError.safeParse({ error: 'TEAPOT' }).success).toBe(false);
  });
});
