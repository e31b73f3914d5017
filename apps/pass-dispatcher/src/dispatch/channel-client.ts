/** What the sender gives the channel for one pass (the pass id is also the idempotency key). */
export interface PassDelivery {
  passId: string;
  accountId: string;
  campaignId: string;
  slot: number;
  storageGb: number;
}

export type ChannelResult =
  /** Delivered now, or (duplicate) delivered before under the same idempotency key. */
  | { kind: 'DELIVERED'; duplicate: boolean }
  /** 429 or 503 with Retry-After: try the same slot again after `waitMs`. */
  | { kind: 'RETRY_AFTER'; waitMs: number; status: number }
  /** 5xx, timeout, network: retry the same slot with backoff. */
  | { kind: 'FAILED'; retryable: true; error: string }
  /** 4xx other than 429: our request is wrong; the slot cannot be skipped, so it is retried slowly and reported. */
  | { kind: 'FAILED'; retryable: false; error: string };

/** Parses Retry-After-Ms (milliseconds), else Retry-After (delta-seconds or an HTTP date). */
export function retryAfterMs(headers: Headers, nowMs: number): number | null {
  const precise = headers.get('retry-after-ms');
  if (precise !== null && /^\d+(\.\d+)?$/.test(precise.trim())) return Math.ceil(Number(precise));
  const value = headers.get('retry-after');
  if (value === null) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

/** HTTP client of the Talk Drawer channel API (`POST /v1/passes` with `Idempotency-Key`). */
export class ChannelClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

  async send(p: PassDelivery): Promise<ChannelResult> {
    let res: Response;
    try {
      res = await fetch(new URL('/v1/passes', this.baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': p.passId },
        body: JSON.stringify(p),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      return { kind: 'FAILED', retryable: true, error: `network: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` };
    }
    const text = await res.text().catch(() => '');
    if (res.status === 200 || res.status === 201) {
      let duplicate = res.status === 200;
      try {
        const body = JSON.parse(text) as { duplicate?: unknown };
        if (typeof body.duplicate === 'boolean') duplicate = body.duplicate;
      } catch {
        // a 2xx is a delivery whatever its body says
      }
      return { kind: 'DELIVERED', duplicate };
    }
    if (res.status === 429 || res.status === 503) {
      const wait = retryAfterMs(res.headers, Date.now());
      if (wait !== null) return { kind: 'RETRY_AFTER', waitMs: wait, status: res.status };
    }
    if (res.status >= 500 || res.status === 429 || res.status === 408) {
      return { kind: 'FAILED', retryable: true, error: `HTTP ${res.status}: ${text.slice(0, 200)}` };
    }
    return { kind: 'FAILED', retryable: false, error: `HTTP ${res.status}: ${text.slice(0, 200)}` };
  }
}
