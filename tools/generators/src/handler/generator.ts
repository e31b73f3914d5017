// nx g @platform/generators:handler <name> --project <app> --feature <folder> --topic <contract key>
// A Kafka handler in the room plan (docs/architecture.md): <feature>/<name>.handler.ts with its
// repository and unit spec, a migration for the repository's table, registered in the app's module.
import path from 'node:path';
import { formatFiles, generateFiles, joinPathFragments, logger, readProjectConfiguration, Tree } from '@nx/devkit';
import { Topics } from '@platform/contracts';
import { addToModule, consumableTopic, filesUnder, findModule, kebab, ownership, wordNames } from '../shape';

export interface HandlerGeneratorSchema {
  name: string;
  /** The app's Nx project name. */
  project: string;
  feature: string;
  /** A contract key of libs/contracts/src/topics.ts, marked consumed. */
  topic: string;
  skipFormat?: boolean;
  /** The migration's timestamp (milliseconds); default now. */
  timestamp?: number;
}

export interface HandlerFiles {
  handler: string;
  repository: string;
  spec: string;
  migration: string;
  /** The module the handler was registered in; undefined when it has to be done by hand. */
  module?: string;
}

/** Writes the files and edits the module; prints what it could not do. Used by the service generator too. */
export function addHandler(tree: Tree, schema: HandlerGeneratorSchema): HandlerFiles {
  const name = wordNames(kebab('handler name', schema.name));
  const feature = wordNames(kebab('feature', schema.feature));
  const topic = consumableTopic(schema.topic);
  const project = readProjectConfiguration(tree, schema.project);
  if (project.projectType !== 'application') throw new Error(`${schema.project} is not an app: handlers belong to services under apps/`);
  const sourceRoot = project.sourceRoot ?? joinPathFragments(project.root, 'src');

  const dir = joinPathFragments(sourceRoot, feature.fileName);
  const files = {
    handler: joinPathFragments(dir, `${name.fileName}.handler.ts`),
    repository: joinPathFragments(dir, `${name.fileName}.repository.ts`),
    spec: joinPathFragments(dir, `${name.fileName}.handler.spec.ts`),
  };
  for (const f of Object.values(files)) if (tree.exists(f)) throw new Error(`${f} exists already`);
  // The server refuses two handlers on one topic in a service at boot: refuse it here already.
  const onBatch = `@OnBatch('${topic}')`;
  const taken = filesUnder(tree, sourceRoot).find((f) => f.endsWith('.ts') && tree.read(f, 'utf-8')?.includes(onBatch));
  if (taken) throw new Error(`${taken} handles ${topic} already: one ${onBatch} handler per service`);

  const migrations = filesUnder(tree, joinPathFragments(sourceRoot, 'migrations'));
  const tableTaken = new RegExp(`CREATE TABLE (IF NOT EXISTS )?${name.snake}\\b`, 'i');
  const owner = migrations.find((f) => tableTaken.test(tree.read(f, 'utf-8') ?? ''));
  if (owner) throw new Error(`${owner} creates a table ${name.snake} already: choose another handler name`);

  const timestamp = String(schema.timestamp ?? Date.now());
  if (!/^[0-9]{13}$/.test(timestamp)) throw new Error(`the migration timestamp must be 13 digits (milliseconds), got ${timestamp}`);
  const migrationClass = `${name.className}Table${timestamp}`;
  const migrationFile = `${timestamp}-${name.className}Table`;
  generateFiles(tree, path.join(__dirname, 'files'), sourceRoot, {
    ...name,
    name: name.fileName,
    table: name.snake,
    feature: feature.fileName,
    topic,
    topicName: Topics[topic].name,
    topicClassName: wordNames(topic.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)).className,
    service: schema.project,
    migrationClass,
    migrationFile,
  });
  const migration = joinPathFragments(sourceRoot, 'migrations', `${migrationFile}.ts`);

  const moduleFile = findModule(tree, sourceRoot);
  const additions = {
    imports: [
      `import { ${name.className}Handler } from './${feature.fileName}/${name.fileName}.handler';`,
      `import { ${name.className}Repository } from './${feature.fileName}/${name.fileName}.repository';`,
      `import { ${migrationClass} } from './migrations/${migrationFile}';`,
    ],
    controllers: [`${name.className}Handler`],
    providers: [`${name.className}Repository`],
    migrations: [migrationClass],
  };
  const edited = moduleFile
    ? addToModule(tree.read(moduleFile, 'utf-8') ?? '', additions)
    : { problems: [`no single *.module.ts in ${sourceRoot}`] };
  if ('source' in edited && moduleFile) {
    tree.write(moduleFile, edited.source);
    logger.info(`registered ${name.className}Handler, ${name.className}Repository and ${migrationClass} in ${moduleFile}`);
  } else {
    logger.warn(
      [
        `could not register the handler in the module (${'problems' in edited ? edited.problems.join('; ') : 'unknown'}); add by hand:`,
        ...additions.imports.map((l) => `  ${l}`),
        `  controllers: [${additions.controllers.join(', ')}, ...]`,
        `  providers: [${additions.providers.join(', ')}, ...]`,
        `  migrations: [...messagingMigrations, ..., ${additions.migrations.join(', ')}]`,
      ].join('\n'),
    );
  }

  if (ownership(schema.project, topic) === 'does-not-consume')
    logger.warn(
      `${schema.project} does not consume ${Topics[topic].name} yet: add '${topic}' to ServiceTopics['${schema.project}'].consumes in ` +
        'libs/contracts/src/ownership.ts (the server refuses the handler at boot otherwise; the ACLs and docs/architecture.md follow from it), then npm run docs:architecture',
    );
  return { ...files, migration, module: 'source' in edited ? moduleFile : undefined };
}

export async function handlerGenerator(tree: Tree, schema: HandlerGeneratorSchema): Promise<void> {
  addHandler(tree, schema);
  if (!schema.skipFormat) await formatFiles(tree);
}

export default handlerGenerator;
