import { Inject, Injectable } from '@nestjs/common';
import { ServiceToken } from '@platform/auth';
import { CONSOLE_CONFIG, CONSOLE_SERVICE_TOKEN } from '../tokens';
import type { ConsoleConfig } from '../config';

export class ServiceCallError extends Error {
  constructor(
    readonly url: string,
    readonly status: number | null,
    message: string,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 4000;

/**
 * The services' HTTP APIs as the console's own `reader` identity (reads), or with the token of the
 * person who asked (ops actions: the service audits that person, not the console).
 */
@Injectable()
export class ServiceApi {
  constructor(
    @Inject(CONSOLE_SERVICE_TOKEN) private readonly token: ServiceToken,
    @Inject(CONSOLE_CONFIG) readonly config: ConsoleConfig,
  ) {}

  async read<T>(base: string, path: string): Promise<T> {
    const url = base + path;
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${await this.token.get()}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (e) {
      throw new ServiceCallError(url, null, `unreachable: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!res.ok) throw new ServiceCallError(url, res.status, `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
    return (await res.json()) as T;
  }

  /** GET /health/ready: open, answers 503 with the same details when not ready. */
  async readiness(base: string): Promise<{ ready: boolean; status: number | null; body: unknown; error?: string }> {
    try {
      const res = await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      const text = await res.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        body = text.slice(0, 200);
      }
      return { ready: res.ok, status: res.status, body };
    } catch (e) {
      return { ready: false, status: null, body: null, error: e instanceof Error ? e.message : String(e) };
    }
  }

  /** A control call on behalf of a person: their bearer token, the service's answer passed back as is. */
  async act(
    base: string,
    path: string,
    method: 'POST' | 'PUT',
    bearer: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: bearer, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(TIMEOUT_MS * 2),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: passed back as text
    }
    return { status: res.status, body: parsed };
  }
}
