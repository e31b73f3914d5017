// docker-compose.yml with docker-compose.secure.yml merged over it, as `docker-compose config`
// prints it (no Docker engine needed), for the checks of the compose secure mode.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './paths';

export interface ComposeService {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number>;
  volumes?: (string | { source?: string; target?: string })[];
  depends_on?: Record<string, { condition: string }>;
}

/** The merged configuration, or null when docker-compose is not installed (CI installs it: then an error). */
export function mergedSecureCompose(): { services: Record<string, ComposeService> } | null {
  const v1 = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  if (v1.error) {
    if (process.env.CI) throw new Error('docker-compose is missing: .ci/run installs it');
    return null;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-secure-'));
  try {
    // Debian's docker-compose 1.29 predates the top-level `name` key (see tools/k8s/validate.ts)
    const main = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8').replace(/^name: .*\n/m, '');
    fs.writeFileSync(path.join(dir, 'docker-compose.yml'), main);
    fs.copyFileSync(path.join(ROOT, 'docker-compose.secure.yml'), path.join(dir, 'docker-compose.secure.yml'));
    const files = ['-f', path.join(dir, 'docker-compose.yml'), '-f', path.join(dir, 'docker-compose.secure.yml')];
    const r = spawnSync('docker-compose', [...files, '--project-directory', ROOT, '--project-name', 'heart-pack', 'config'], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`docker-compose config: ${r.stderr || r.stdout}`);
    return parse(r.stdout) as { services: Record<string, ComposeService> };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A service's environment as strings. */
export const serviceEnv = (s: ComposeService | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(s?.environment ?? {}).map(([k, v]) => [k, String(v)]));

/** Where a service mounts the kafka-secrets volume. */
export const secretsMount = (s: ComposeService | undefined): string | undefined =>
  (s?.volumes ?? [])
    .map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v))
    .find((m) => m.source === 'kafka-secrets')?.target;

/**
 * The server.properties the apache/kafka image renders from a service's KAFKA_* environment (its
 * `ub render-properties`: `_` is `.`, `__` is `_`, `___` is `-`, lower case; the *_OPTS are JVM
 * options, not properties).
 */
export function kafkaImageProperties(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('KAFKA_') || k.endsWith('_OPTS')) continue;
    const key = k
      .slice('KAFKA_'.length)
      .replace(/(?<!_)_(?!_)/g, '.')
      .replace(/___/g, '-')
      .replace(/__/g, '_')
      .toLowerCase();
    out[key] = v;
  }
  return out;
}
