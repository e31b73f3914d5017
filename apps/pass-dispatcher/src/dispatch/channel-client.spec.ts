import { classify, retryAfterMs } from './channel-client';

const now = Date.parse('2023-01-10T00:00:00Z');

describe('Retry-After parsing', () => {
  it.each([
    [{ 'retry-after-ms': '37' }, 37],
    [{ 'retry-after-ms': '12.2', 'retry-after': '1' }, 13],
    [{ 'retry-after': '2' }, 2000],
    [{ 'retry-after': 'Tue, 10 Jan 2023 00:00:03 GMT' }, 3000],
    [{ 'retry-after': 'Mon, 09 Jan 2023 00:00:00 GMT' }, 0],
    [{ 'retry-after': 'soon' }, null],
    [{}, null],
  ])('%p -> %p', (headers, expected) => {
    expect(retryAfterMs(headers, now)).toBe(expected);
  });
});

describe('channel response classification', () => {
  it.each([
    [201, {}, '{"duplicate":false}', { kind: 'DELIVERED', duplicate: false }],
    [200, {}, '{"duplicate":true}', { kind: 'DELIVERED', duplicate: true }],
    [200, {}, 'not json', { kind: 'DELIVERED', duplicate: true }],
    [429, { 'retry-after': '1', 'retry-after-ms': '120' }, '', { kind: 'RETRY_AFTER', waitMs: 120, status: 429 }],
    [503, { 'retry-after': '1' }, '', { kind: 'RETRY_AFTER', waitMs: 1000, status: 503 }],
    [503, {}, 'down', { kind: 'FAILED', retryable: true, error: 'HTTP 503: down' }],
    [429, {}, '', { kind: 'FAILED', retryable: true, error: 'HTTP 429: ' }],
    [500, {}, 'boom', { kind: 'FAILED', retryable: true, error: 'HTTP 500: boom' }],
    [400, {}, 'bad', { kind: 'FAILED', retryable: false, error: 'HTTP 400: bad' }],
    [422, {}, 'reused', { kind: 'FAILED', retryable: false, error: 'HTTP 422: reused' }],
  ])('%i %p -> %p', (status, headers, body, expected) => {
    expect(classify(status, headers, body, now)).toEqual(expected);
  });
});
