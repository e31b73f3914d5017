// What both generators share: name checks against the contract, and the edits to an app's module.
import { names, Tree } from '@nx/devkit';
import { PLATFORM_SERVICES, ServiceTopics, Topics, type PlatformService, type TopicKey } from '@platform/contracts';

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export function kebab(what: string, value: string | undefined): string {
  if (!value || !KEBAB.test(value)) throw new Error(`${what} must be kebab-case (a-z, 0-9, single dashes), got ${JSON.stringify(value)}`);
  return value;
}

/** A contract topic a handler may consume: known, and marked consumed (so its dead-letter topic exists). */
export function consumableTopic(key: string | undefined): TopicKey {
  const keys = Object.keys(Topics) as TopicKey[];
  const topic = keys.find((k) => k === key);
  if (!topic)
    throw new Error(`unknown topic ${JSON.stringify(key)}: use a contract key of libs/contracts/src/topics.ts (${keys.join(', ')})`);
  if (!Topics[topic].consumed)
    throw new Error(`${topic} (${Topics[topic].name}) is not marked consumed in the contract: no dead-letter topic exists for it`);
  return topic;
}

/** The names a template needs for one word (`grant-request`: GrantRequest, grantRequest, grant_request). */
export function wordNames(word: string): {
  fileName: string;
  className: string;
  propertyName: string;
  constantName: string;
  snake: string;
} {
  const n = names(word);
  return {
    fileName: n.fileName,
    className: n.className,
    propertyName: n.propertyName,
    constantName: n.constantName,
    snake: n.fileName.replace(/-/g, '_'),
  };
}

/** Whether the contracts' ownership table lists the service, and whether it consumes the topic there. */
export function ownership(service: string, topic: TopicKey): 'unlisted' | 'consumes' | 'does-not-consume' {
  if (!(PLATFORM_SERVICES as readonly string[]).includes(service)) return 'unlisted';
  return ServiceTopics[service as PlatformService].consumes.includes(topic) ? 'consumes' : 'does-not-consume';
}

/** The one `*.module.ts` directly under a source root, or undefined when there is none or several. */
export function findModule(tree: Tree, sourceRoot: string): string | undefined {
  const modules = tree.children(sourceRoot).filter((f) => f.endsWith('.module.ts'));
  return modules.length === 1 ? `${sourceRoot}/${modules[0]}` : undefined;
}

export interface ModuleAdditions {
  /** Import lines to add after the module's last import. */
  imports: string[];
  /** Classes to put into `controllers: [...]` (Nest binds @OnBatch handlers as controllers). */
  controllers: string[];
  /** Classes to put into `providers: [...]`. */
  providers: string[];
  /** Migration classes to append to `export const <svc>Migrations = [...]`. */
  migrations: string[];
}

/**
 * The module's source with the additions, or the reasons it cannot be done by text (each array
 * must appear exactly once, in the shape every service module has); then nothing is changed.
 */
export function addToModule(source: string, add: ModuleAdditions): { source: string } | { problems: string[] } {
  const problems: string[] = [];
  const once = (re: RegExp, what: string): RegExpExecArray | undefined => {
    const all = matches(re, source);
    if (all.length !== 1) {
      problems.push(`expected one ${what}, found ${all.length}`);
      return undefined;
    }
    return all[0];
  };
  const lastImport = matches(/^import [\s\S]*?;[ \t]*$/m, source).at(-1);
  if (!lastImport) problems.push('found no import statement');
  const controllers = add.controllers.length > 0 ? once(/controllers: \[/, '`controllers: [`') : undefined;
  const providers = add.providers.length > 0 ? once(/providers: \[/, '`providers: [`') : undefined;
  const migrations =
    add.migrations.length > 0
      ? once(/(export const \w+Migrations = \[)([\s\S]*?)(\];)/, '`export const <svc>Migrations = [...]`')
      : undefined;
  if (problems.length > 0 || !lastImport) return { problems };

  // Edit from the end of the text backwards, so earlier offsets stay valid.
  const edits: { at: number; remove: number; insert: string }[] = [];
  edits.push({ at: lastImport.index + lastImport[0].length, remove: 0, insert: add.imports.map((l) => `\n${l}`).join('') });
  if (controllers)
    edits.push({ at: controllers.index + controllers[0].length, remove: 0, insert: add.controllers.map((c) => `${c}, `).join('') });
  if (providers) edits.push({ at: providers.index + providers[0].length, remove: 0, insert: add.providers.map((p) => `${p}, `).join('') });
  if (migrations) {
    const [whole, open = '', items = '', close = ''] = migrations;
    const kept = items.replace(/[\s,]*$/, '');
    edits.push({
      at: migrations.index,
      remove: whole.length,
      insert: `${open}${kept}${kept ? ', ' : ''}${add.migrations.join(', ')}${close}`,
    });
  }
  let out = source;
  for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.insert + out.slice(e.at + e.remove);
  return { source: out };
}

function matches(re: RegExp, text: string): RegExpExecArray[] {
  const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
  const out: RegExpExecArray[] = [];
  for (let m = global.exec(text); m; m = global.exec(text)) out.push(m);
  return out;
}

/** The files under a folder of the tree (recursively). */
export function filesUnder(tree: Tree, dir: string): string[] {
  if (!tree.exists(dir)) return [];
  if (tree.isFile(dir)) return [dir];
  return tree.children(dir).flatMap((c) => filesUnder(tree, `${dir}/${c}`));
}
