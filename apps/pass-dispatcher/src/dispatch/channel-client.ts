import http from 'node:http';
import https from 'node:https';
import { ChannelHeaders, type ChannelPass, ChannelPaths, channelSendPassAccepted, ChannelStatus } from '@platform/contracts';

/** What the sender gives the channel for one pass (the pass id is also the idempotency key); `storageGb` rides along uninterpreted. */
export type PassDelivery = Required<ChannelPass> & { storageGb: number };

export type ChannelResult =
  /** Delivered now, or (duplicate) delivered before under the same idempotency key. */
  | { kind: 'DELIVERED'; duplicate: boolean }
  /** 429 or 503 with Retry-After: try the same slot again after `waitMs`. */
  | { kind: 'RETRY_AFTER'; waitMs: number; status: number }
  /** 5xx, timeout, network: retry the same slot with backoff. */
  | { kind: 'FAILED'; retryable: true; error: string }
  /** 4xx other than 429: our request is wrong; the slot cannot be skipped, so it is retried slowly and reported. */
  | { kind: 'FAILED'; retryable: false; error: string };

type HeaderValue = string | string[] | undefined;
const first = (v: HeaderValue): string | null => (Array.isArray(v) ? (v[0] ?? null) : (v ?? null));

/** Parses Retry-After-Ms (milliseconds), else Retry-After (delta-seconds or an HTTP date), from Node's lower-cased headers. */
export function retryAfterMs(headers: Record<string, HeaderValue>, nowMs: number): number | null {
  const precise = first(headers[ChannelHeaders.retryAfterMs.toLowerCase()])?.trim();
  if (precise && /^\d+(\.\d+)?$/.test(precise)) return Math.ceil(Number(precise));
  const value = first(headers[ChannelHeaders.retryAfter.toLowerCase()])?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

/** Maps a channel response to what the sender does next. */
export function classify(status: number, headers: Record<string, HeaderValue>, body: string, nowMs: number): ChannelResult {
  if (status === ChannelStatus.duplicate || status === ChannelStatus.delivered) {
    // a 2xx is a delivery whatever its body says; the body's `duplicate`, when it has one, is the channel's word
    let answer: unknown = null;
    try {
      answer = JSON.parse(body);
    } catch {
      // not JSON: the status says whether it was a duplicate
    }
    const said = channelSendPassAccepted.pick({ duplicate: true }).safeParse(answer);
    return { kind: 'DELIVERED', duplicate: said.success ? said.data.duplicate : status === ChannelStatus.duplicate };
  }
  if (status === ChannelStatus.rateLimited || status === ChannelStatus.unavailable) {
    const wait = retryAfterMs(headers, nowMs);
    if (wait !== null) return { kind: 'RETRY_AFTER', waitMs: wait, status };
  }
  if (status >= 500 || status === ChannelStatus.rateLimited || status === 408)
    return { kind: 'FAILED', retryable: true, error: `HTTP ${status}: ${body.slice(0, 200)}` };
  return { kind: 'FAILED', retryable: false, error: `HTTP ${status}: ${body.slice(0, 200)}` };
}

/**
 * HTTP client of the Talk Drawer channel API (`POST /v1/passes` with `Idempotency-Key`, as
 * @platform/contracts' channel schema states it), on a
 * keep-alive agent: one request in flight per sender, so connection reuse and a lean client keep
 * the round trip (and so the achievable send rate) close to the channel's own latency.
 */
export class ChannelClient {
  private readonly url: URL;
  private readonly agent: http.Agent;

  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
    /** The dispatcher's own bearer token (the channel requires the `pass-dispatcher` identity). */
    private readonly bearer?: { get(): Promise<string> },
  ) {
    this.url = new URL(ChannelPaths.passes, baseUrl);
    const secure = this.url.protocol === 'https:';
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 8 }) : new http.Agent({ keepAlive: true, maxSockets: 8 });
  }

  send(p: PassDelivery): Promise<ChannelResult> {
    if (!this.bearer) return this.post(p, null);
    return this.bearer.get().then(
      (token) => this.post(p, token),
      (e: unknown) => ({ kind: 'FAILED', retryable: true, error: `credentials: ${String(e)}` }) as const,
    );
  }

  private post(p: PassDelivery, token: string | null): Promise<ChannelResult> {
    const body = JSON.stringify(p);
    const lib = this.url.protocol === 'https:' ? https : http;
    return new Promise<ChannelResult>((resolve) => {
      const req = lib.request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            [ChannelHeaders.idempotencyKey.toLowerCase()]: p.passId,
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(classify(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8'), Date.now())));
          res.on('error', (e) => resolve({ kind: 'FAILED', retryable: true, error: `network: ${e.message}` }));
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`timeout after ${this.timeoutMs} ms`)));
      req.on('error', (e) => resolve({ kind: 'FAILED', retryable: true, error: `network: ${e.message}` }));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
