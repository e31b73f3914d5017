import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildAsyncApi } from '@platform/contracts';

describe('docs/asyncapi.json', () => {
  it('matches the contract schemas (run `npm run asyncapi` after changing a schema)', () => {
    const root = path.resolve(__dirname, '../..');
    const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const committed = JSON.parse(readFileSync(path.join(root, 'docs/asyncapi.json'), 'utf8')) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildAsyncApi(version))));
  });
});
