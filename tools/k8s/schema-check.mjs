// Validates every object of a built overlay (multi-document YAML on stdin or in a file) against the
// JSON schemas shipped by the pinned kubernetes-models packages: Kubernetes core types, Strimzi,
// CloudNativePG, KEDA and the Prometheus operator. An object whose apiVersion has no schema fails.
// ESM on purpose: those packages export ESM only (tools/k8s/validate.ts runs this file with node).
//   node tools/k8s/schema-check.mjs [file.yaml]     exit 0: all valid; 1: invalid objects listed
import fs from 'node:fs';
import { parseAllDocuments } from 'yaml';

/** apiVersion group -> package that models it (versions pinned in package.json). */
const PACKAGES = {
  '': 'kubernetes-models',
  apps: 'kubernetes-models',
  policy: 'kubernetes-models',
  'networking.k8s.io': 'kubernetes-models',
  autoscaling: 'kubernetes-models',
  batch: 'kubernetes-models',
  'rbac.authorization.k8s.io': 'kubernetes-models',
  'kafka.strimzi.io': '@kubernetes-models/strimzi-kafka-operator',
  'postgresql.cnpg.io': '@kubernetes-models/cloudnative-pg',
  'keda.sh': '@kubernetes-models/keda',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const pkg = PACKAGES[group];
  if (!pkg) throw new Error(`no schema package for apiVersion ${apiVersion}`);
  const spec = group === '' ? `${pkg}/${version}/${kind}` : `${pkg}/${group}/${version}/${kind}`;
  let mod;
  try {
    mod = await import(spec);
  } catch {
    throw new Error(`no schema for ${kind} in ${apiVersion} (${spec})`);
  }
  const Model = mod[kind];
  if (typeof Model !== 'function') throw new Error(`${spec} exports no ${kind}`);
  return Model;
}

/** Returns one line per problem: `<Kind>/<name>: <message>`. */
export async function checkObjects(objects) {
  const problems = [];
  for (const o of objects) {
    const id = `${o?.kind ?? '?'}/${o?.metadata?.name ?? '?'}`;
    try {
      if (!o || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') throw new Error('apiVersion and kind are required');
      const Model = await modelFor(o.apiVersion, o.kind);
      new Model(o).validate();
    } catch (e) {
      problems.push(`${id}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return problems;
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${fs.realpathSync(process.argv[1])}`).href;
if (isMain) {
  const text = fs.readFileSync(process.argv[2] ?? 0, 'utf8');
  const docs = parseAllDocuments(text);
  const objects = docs.map((d) => d.toJS()).filter((o) => o !== null);
  const problems = await checkObjects(objects);
  for (const p of problems) console.error(`schema: ${p}`);
  console.log(`schema: ${objects.length} objects, ${problems.length} invalid`);
  process.exit(problems.length === 0 ? 0 : 1);
}
