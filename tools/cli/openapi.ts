// Writes each HTTP service's OpenAPI document, generated from its controllers, to
// docs/openapi/<service>.json. Apps are discovered: every apps/<name>/src with a main.ts, a
// config.ts exporting load<Something>Config and a *.module.ts whose class has a static forRoot.
// Nest builds the module graph in preview mode: no database, Kafka or network.
//   npm run openapi            -> docs/openapi/*.json
//   npm run openapi -- --check -> fails if a document is stale or missing (CI runs the unit test)
import { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import fs from 'node:fs';
import path from 'node:path';
import { openApiDocument } from '@platform/telemetry';

export const ROOT = path.resolve(__dirname, '..', '..');
export const OPENAPI_DIR = path.join(ROOT, 'docs', 'openapi');

export interface HttpApp {
  name: string;
  configFile: string;
  moduleFile: string;
}

/** The deployables under apps/ (a folder with src/main.ts), with where their config and root module are. */
export function discoverApps(): HttpApp[] {
  const appsDir = path.join(ROOT, 'apps');
  return fs
    .readdirSync(appsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(appsDir, d.name, 'src', 'main.ts')))
    .map((d) => {
      const src = path.join(appsDir, d.name, 'src');
      const modules = fs.readdirSync(src).filter((f) => f.endsWith('.module.ts'));
      if (modules.length !== 1) throw new Error(`apps/${d.name}/src: expected one *.module.ts (the root module), found ${modules.length}`);
      return { name: d.name, configFile: path.join(src, 'config.ts'), moduleFile: path.join(src, modules[0] as string) };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

type ConfigLoader = (env: NodeJS.ProcessEnv) => unknown;
type RootModule = { forRoot(config: unknown): DynamicModule };

function exported<T>(file: string, what: string, pick: (name: string, value: unknown) => boolean): T {
  const mod = require(file) as Record<string, unknown>;
  const found = Object.entries(mod).filter(([n, v]) => pick(n, v));
  if (found.length !== 1) throw new Error(`${path.relative(ROOT, file)}: expected one export that is ${what}, found ${found.length}`);
  return (found[0] as [string, unknown])[1] as T;
}

/** The app's document, built from its root module with the default configuration (development). */
export async function buildDocument(a: HttpApp, version: string): Promise<Record<string, unknown>> {
  const load = exported<ConfigLoader>(
    a.configFile,
    'a load*Config function',
    (n, v) => /^load\w*Config$/.test(n) && typeof v === 'function',
  );
  const root = exported<RootModule>(a.moduleFile, 'a module class with forRoot', (_n, v) => typeof v === 'function' && 'forRoot' in v);
  // No real environment: the document must not depend on the machine generating it.
  const config = load({ NODE_ENV: 'development' });
  const app: INestApplication = await NestFactory.create(root.forRoot(config), { preview: true, logger: false, abortOnError: false });
  try {
    return JSON.parse(JSON.stringify(openApiDocument(app, a.name, version))) as Record<string, unknown>;
  } finally {
    await app.close();
  }
}

export const documentText = (doc: unknown): string => `${JSON.stringify(doc, null, 2)}\n`;
export const packageVersion = (): string =>
  (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const version = packageVersion();
  const apps = discoverApps();
  const problems: string[] = [];
  fs.mkdirSync(OPENAPI_DIR, { recursive: true });
  for (const a of apps) {
    const file = path.join(OPENAPI_DIR, `${a.name}.json`);
    const text = documentText(await buildDocument(a, version));
    if (check) {
      if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) problems.push(`docs/openapi/${a.name}.json is stale or missing`);
    } else {
      fs.writeFileSync(file, text);
      console.log(`wrote docs/openapi/${a.name}.json`);
    }
  }
  const names = new Set(apps.map((a) => `${a.name}.json`));
  for (const f of fs.readdirSync(OPENAPI_DIR).filter((x) => x.endsWith('.json') && !names.has(x))) {
    if (check) problems.push(`docs/openapi/${f} belongs to no app`);
    else {
      fs.rmSync(path.join(OPENAPI_DIR, f));
      console.log(`removed docs/openapi/${f} (no such app)`);
    }
  }
  if (problems.length > 0) {
    console.error(`${problems.join('\n')}\nrun npm run openapi`);
    process.exit(1);
  }
  if (check) console.log(`docs/openapi: ${apps.length} documents up to date`);
}

// tools/run.js requires the entry point: argv[1] names it (the spec imports this file without running it).
if (process.argv[1] === __filename)
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
