// nx g @platform/generators:service <name> [--feature campaigns] [--handler campaign] [--topic campaignDefined] [--port 3020]
// A new service in the room plan (docs/architecture.md): apps/<name>/ like the others, with one
// feature folder holding a handler, its repository, a controller and a unit spec.
import path from 'node:path';
import { formatFiles, generateFiles, logger, Tree } from '@nx/devkit';
import { Topics } from '@platform/contracts';
import { addHandler } from '../handler/generator';
import { consumableTopic, kebab, wordNames } from '../shape';

export interface ServiceGeneratorSchema {
  name: string;
  feature?: string;
  handler?: string;
  topic?: string;
  port?: number;
  scope?: string;
  skipFormat?: boolean;
  /** The first migration's timestamp (milliseconds); default now. */
  timestamp?: number;
}

const ESLINT_CONFIG = 'eslint.config.mjs';
/** A scope's boundary line as eslint.config.mjs writes them: `{ sourceTag: 'scope:x', onlyDependOnLibsWithTags: ['scope:shared', 'scope:x'] },` */
const SCOPE_RULE =
  /^([ \t]*)\{ sourceTag: 'scope:([a-z0-9-]+)', onlyDependOnLibsWithTags: \['scope:shared', 'scope:[a-z0-9-]+'\] \},[ \t]*$/gm;

/** Adds the scope's boundary rule after the last one of its kind; false when the config is not in that shape. */
export function addScopeRule(tree: Tree, scope: string): 'added' | 'present' | 'not-found' {
  const text = tree.exists(ESLINT_CONFIG) ? (tree.read(ESLINT_CONFIG, 'utf-8') ?? '') : '';
  const rules = [...text.matchAll(SCOPE_RULE)];
  const last = rules.at(-1);
  if (!last || last.index === undefined) return 'not-found';
  if (rules.some((r) => r[2] === scope)) return 'present';
  const line = `${last[1] ?? ''}{ sourceTag: 'scope:${scope}', onlyDependOnLibsWithTags: ['scope:shared', 'scope:${scope}'] },`;
  const at = last.index + last[0].length;
  tree.write(ESLINT_CONFIG, `${text.slice(0, at)}\n${line}${text.slice(at)}`);
  return 'added';
}

export async function serviceGenerator(tree: Tree, schema: ServiceGeneratorSchema): Promise<void> {
  const service = wordNames(kebab('service name', schema.name));
  const feature = wordNames(kebab('feature', schema.feature ?? 'campaigns'));
  const handler = kebab('handler name', schema.handler ?? 'campaign');
  const topic = consumableTopic(schema.topic ?? 'campaignDefined');
  const scope = kebab('scope', schema.scope ?? service.fileName);
  const port = schema.port ?? 3020;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port must be 1-65535, got ${port}`);
  const root = `apps/${service.fileName}`;
  if (tree.exists(root)) throw new Error(`${root} exists already`);

  generateFiles(tree, path.join(__dirname, 'files'), root, {
    ...service,
    name: service.fileName,
    database: `campaign_${service.snake}`,
    port,
    scope,
    feature: feature.fileName,
    featureClassName: feature.className,
    handlerFile: wordNames(handler).fileName,
    handlerClassName: wordNames(handler).className,
    topic,
    topicName: Topics[topic].name,
  });
  addHandler(tree, {
    name: handler,
    project: service.fileName,
    feature: feature.fileName,
    topic,
    timestamp: schema.timestamp,
    skipFormat: true,
  });

  const scopeRule = addScopeRule(tree, scope);
  if (scopeRule === 'not-found')
    logger.warn(
      `add the scope's boundary to ${ESLINT_CONFIG} (depConstraints): { sourceTag: 'scope:${scope}', onlyDependOnLibsWithTags: ['scope:shared', 'scope:${scope}'] },`,
    );
  logger.info(
    [
      `${root}: created. What is left to you (the generator does not edit the contracts or the ops tooling):`,
      `  - libs/contracts/src/ownership.ts: add '${service.fileName}' to PLATFORM_SERVICES and ServiceTopics ({ consumes: ['${topic}'], produces: [...] }),`,
      `    and to SERVICE_PRIORITIES in priorities.ts; the Kafka ACLs and its Kafka principal follow. Then: npm run docs:architecture`,
      `  - its database campaign_${service.snake} and port ${port} where the tooling lists the services: tools/ops/services.ts (npm start),`,
      `    tools/ops/stop.ts, tools/infra/postgres-roles.ts, tools/audit/db.ts, tools/k8s/platform.ts (grep -rn campaign_emoticons tools)`,
      `  - the rule itself: a pure function in libs/rules, called by ${wordNames(handler).className}Handler`,
      `  - try it: npx jest ${root} --selectProjects unit, then npx jest ${root} --selectProjects integration (needs npm run infra:up)`,
    ].join('\n'),
  );
  if (!schema.skipFormat) await formatFiles(tree);
}

export default serviceGenerator;
