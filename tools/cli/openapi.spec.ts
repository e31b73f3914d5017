import fs from 'node:fs';
import path from 'node:path';
import { buildDocument, discoverApps, documentText, OPENAPI_DIR, packageVersion } from './openapi';

jest.setTimeout(120_000);

describe('docs/openapi/<service>.json', () => {
  const apps = discoverApps();

  it('exists for every app under apps/ and for nothing else', () => {
    expect(apps.length).toBeGreaterThanOrEqual(6);
    const files = fs.readdirSync(OPENAPI_DIR).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual(apps.map((a) => `${a.name}.json`).sort());
  });

  it.each(discoverApps().map((a) => [a.name, a] as const))(
    '%s matches its controllers (run `npm run openapi` after changing a route)',
    async (_name, app) => {
      const committed = fs.readFileSync(path.join(OPENAPI_DIR, `${app.name}.json`), 'utf8');
      expect(committed).toBe(documentText(await buildDocument(app, packageVersion())));
    },
  );

  it('names the roles of every route but /health/* and the bearer scheme', () => {
    const doc = JSON.parse(fs.readFileSync(path.join(OPENAPI_DIR, 'pass-dispatcher.json'), 'utf8')) as {
      components: { securitySchemes: Record<string, { scheme: string }> };
      paths: Record<string, Record<string, { 'x-roles'?: string[]; security?: unknown[] }>>;
    };
    expect(doc.components.securitySchemes.bearer?.scheme).toBe('bearer');
    expect(doc.paths['/passes/campaigns/{id}/pause']?.post?.['x-roles']).toEqual(['ops']);
    expect(doc.paths['/passes/status']?.get?.['x-roles']).toEqual(['reader', 'ops']);
    expect(doc.paths['/health/ready']?.get?.security).toEqual([]);
  });
});
