// Writes the public event contract as an AsyncAPI document generated from the zod schemas.
//   npm run asyncapi            -> docs/asyncapi.json
//   npm run asyncapi -- --check -> fails if docs/asyncapi.json is stale (CI runs the unit test instead)
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { buildAsyncApi } from '@platform/contracts';

const file = path.resolve(__dirname, '../../docs/asyncapi.json');
const version = (JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;
const text = `${JSON.stringify(buildAsyncApi(version), null, 2)}\n`;
if (process.argv.includes('--check')) {
  const current = readFileSync(file, 'utf8');
  if (current !== text) {
    console.error('docs/asyncapi.json is stale: run npm run asyncapi');
    process.exit(1);
  }
  console.log('docs/asyncapi.json is up to date');
} else {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
