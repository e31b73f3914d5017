import { readFileSync } from 'node:fs';
import path from 'node:path';
import { addProjectConfiguration, logger, readProjectConfiguration, Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { handlerGenerator, type HandlerGeneratorSchema } from './src/handler/generator';
import { serviceGenerator } from './src/service/generator';
import { addToModule } from './src/shape';

const TIMESTAMP = 1767225600000;
const ROOT = path.resolve(__dirname, '../..');

// eslint.config.mjs as far as the service generator reads it: the scope lines of depConstraints.
const ESLINT_CONFIG = `export default [
  {
    rules: {
      '@nx/enforce-module-boundaries': ['error', { depConstraints: [
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:claims', onlyDependOnLibsWithTags: ['scope:shared', 'scope:claims'] },
            { sourceTag: 'scope:intake', onlyDependOnLibsWithTags: ['scope:shared', 'scope:intake'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:util'] },
      ] }],
    },
  },
];
`;

const text = (tree: Tree, file: string): string => {
  const content = tree.read(file, 'utf-8');
  if (content === null) throw new Error(`${file} was not generated`);
  return content;
};
/** The items of `<key>: [...]` (or `<key> [...]`) in a module, as names (whitespace and line breaks ignored). */
const listed = (source: string, key: string): string[] => {
  const m = new RegExp(`${key}\\s*:?\\s*\\[([^\\]]*)\\]`).exec(source);
  return (m?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
};

describe('the generators (local Nx plugin @platform/generators)', () => {
  let tree: Tree;
  let warnings: string[];

  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    tree.write('eslint.config.mjs', ESLINT_CONFIG);
    warnings = [];
    jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    jest.spyOn(logger, 'warn').mockImplementation((m: unknown) => void warnings.push(String(m)));
  });

  afterEach(() => jest.restoreAllMocks());

  /** The handler generator on the in-memory tree, without the prettier pass (there is no workspace to run it in). */
  const generateHandler = (project: string, o: Omit<HandlerGeneratorSchema, 'project' | 'skipFormat'>) =>
    handlerGenerator(tree, { project, ...o, skipFormat: true });

  describe('service', () => {
    beforeEach(() => serviceGenerator(tree, { name: 'demo-svc', timestamp: TIMESTAMP, skipFormat: true }));

    it('lays out apps/<name> in the room plan', () => {
      const files = tree
        .listChanges()
        .map((c) => c.path)
        .filter((p) => p.startsWith('apps/demo-svc/'))
        .sort();
      expect(files).toEqual([
        'apps/demo-svc/README.md',
        'apps/demo-svc/project.json',
        'apps/demo-svc/src/app.ts',
        'apps/demo-svc/src/campaigns/campaign.handler.spec.ts',
        'apps/demo-svc/src/campaigns/campaign.handler.ts',
        'apps/demo-svc/src/campaigns/campaign.repository.ts',
        'apps/demo-svc/src/campaigns/campaigns.controller.ts',
        'apps/demo-svc/src/config.ts',
        'apps/demo-svc/src/demo-svc.module.ts',
        'apps/demo-svc/src/main.ts',
        `apps/demo-svc/src/migrations/${TIMESTAMP}-CampaignTable.ts`,
        'apps/demo-svc/src/tokens.ts',
        'apps/demo-svc/test/demo-svc.int-spec.ts',
      ]);
    });

    it('is an Nx app tagged and wired like the other services', () => {
      const project = readProjectConfiguration(tree, 'demo-svc');
      expect(project.projectType).toBe('application');
      expect(project.tags).toEqual(['type:app', 'scope:demo-svc']);
      expect(Object.keys(project.targets ?? {})).toEqual(['lint', 'test', 'serve']);
      expect(project.targets?.serve?.options).toEqual({ command: 'node tools/run.js apps/demo-svc/src/main.ts' });
      // the same conventions as an existing small app
      const emoticons = JSON.parse(readFileSync(path.join(ROOT, 'apps/emoticons/project.json'), 'utf8')) as {
        $schema: string;
        tags: string[];
      };
      expect(JSON.parse(text(tree, 'apps/demo-svc/project.json'))).toEqual(
        expect.objectContaining({ $schema: emoticons.$schema, sourceRoot: 'apps/demo-svc/src' }),
      );
      expect(emoticons.tags[0]).toBe(project.tags?.[0]);
    });

    it('writes a handler with an @OnBatch method typed by the contract, and its repository', () => {
      const handler = text(tree, 'apps/demo-svc/src/campaigns/campaign.handler.ts');
      expect(handler).toContain('export class CampaignHandler');
      expect(handler).toMatch(
        /@OnBatch\('campaignDefined'\)\s+async onCampaignDefined\(@Payload\(\) messages: Batch<'campaignDefined'>, @Ctx\(\) ctx: TxContext\): Promise<void>/,
      );
      expect(handler).toContain("from './campaign.repository'");
      const repository = text(tree, 'apps/demo-svc/src/campaigns/campaign.repository.ts');
      expect(repository).toContain('export class CampaignRepository');
      expect(repository).toContain('INSERT INTO campaign (message_id, payload, received_at)');
      expect(text(tree, `apps/demo-svc/src/migrations/${TIMESTAMP}-CampaignTable.ts`)).toContain(
        `export class CampaignTable${TIMESTAMP} implements MigrationInterface`,
      );
      expect(text(tree, 'apps/demo-svc/src/campaigns/campaign.handler.spec.ts')).toContain('await handler.onCampaignDefined(');
      expect(text(tree, 'apps/demo-svc/src/campaigns/campaigns.controller.ts')).toContain(
        'constructor(private readonly repo: CampaignRepository)',
      );
    });

    it('registers the handler, the repository and the migration in the module', () => {
      const module = text(tree, 'apps/demo-svc/src/demo-svc.module.ts');
      expect(listed(module, 'controllers')).toEqual(['CampaignHandler', 'CampaignsController', 'MetricsController']);
      expect(listed(module, 'providers')[0]).toBe('CampaignRepository');
      expect(listed(module, 'export const demoSvcMigrations =')).toEqual(['...messagingMigrations', `CampaignTable${TIMESTAMP}`]);
      expect(module).toContain("import { CampaignHandler } from './campaigns/campaign.handler';");
      expect(module).toContain("import { CampaignRepository } from './campaigns/campaign.repository';");
      expect(module).toContain(`import { CampaignTable${TIMESTAMP} } from './migrations/${TIMESTAMP}-CampaignTable';`);
      expect(module).toContain("service: 'demo-svc'");
    });

    it('keeps test harnesses out of src/ and boots the service from test/', () => {
      const production = tree
        .listChanges()
        .map((c) => c.path)
        .filter((p) => p.startsWith('apps/demo-svc/src/') && p.endsWith('.ts') && !p.endsWith('.spec.ts'));
      for (const f of production) expect(text(tree, f)).not.toMatch(/@platform\/testing|\/testing'|@nestjs\/testing/);
      const spec = text(tree, 'apps/demo-svc/test/demo-svc.int-spec.ts');
      expect(spec).toContain("import { createDemoSvcApp } from '../src/app';");
      expect(spec).toContain('new ServiceHarness(app)');
      expect(text(tree, 'apps/demo-svc/src/config.ts')).toContain('.default(3020)');
      expect(text(tree, 'apps/demo-svc/src/config.ts')).toContain("c.DB_NAME ?? 'campaign_demo_svc'");
    });

    it("adds the scope's module boundary after the other scopes", () => {
      const lines = text(tree, 'eslint.config.mjs').split('\n');
      const at = lines.findIndex((l) => l.includes("'scope:demo-svc'"));
      expect(lines[at]).toBe("            { sourceTag: 'scope:demo-svc', onlyDependOnLibsWithTags: ['scope:shared', 'scope:demo-svc'] },");
      expect(lines[at - 1]).toContain("sourceTag: 'scope:intake'");
    });

    it('refuses a service that exists, a name that is not kebab-case, and a topic nobody may consume', async () => {
      await expect(serviceGenerator(tree, { name: 'demo-svc', skipFormat: true })).rejects.toThrow(/exists already/);
      await expect(serviceGenerator(tree, { name: 'DemoSvc', skipFormat: true })).rejects.toThrow(/kebab-case/);
      await expect(serviceGenerator(tree, { name: 'other', topic: 'downloadRejected', skipFormat: true })).rejects.toThrow(
        /not marked consumed/,
      );
      await expect(serviceGenerator(tree, { name: 'other', topic: 'noSuchTopic', skipFormat: true })).rejects.toThrow(/unknown topic/);
    });
  });

  describe('handler', () => {
    beforeEach(() => serviceGenerator(tree, { name: 'demo-svc', timestamp: TIMESTAMP, skipFormat: true }));

    it('adds <feature>/<name>.handler.ts, its repository, a unit spec and a migration, registered in the module', async () => {
      await generateHandler('demo-svc', { feature: 'claims', name: 'claim-decision', topic: 'claimDecided', timestamp: TIMESTAMP + 1 });
      const handler = text(tree, 'apps/demo-svc/src/claims/claim-decision.handler.ts');
      expect(handler).toContain('export class ClaimDecisionHandler');
      expect(handler).toMatch(/@OnBatch\('claimDecided'\)\s+async onClaimDecided\(@Payload\(\) messages: Batch<'claimDecided'>/);
      expect(text(tree, 'apps/demo-svc/src/claims/claim-decision.repository.ts')).toContain('INSERT INTO claim_decision');
      expect(tree.exists('apps/demo-svc/src/claims/claim-decision.handler.spec.ts')).toBe(true);
      expect(tree.exists(`apps/demo-svc/src/migrations/${TIMESTAMP + 1}-ClaimDecisionTable.ts`)).toBe(true);

      const module = text(tree, 'apps/demo-svc/src/demo-svc.module.ts');
      expect(listed(module, 'controllers')).toEqual([
        'ClaimDecisionHandler',
        'CampaignHandler',
        'CampaignsController',
        'MetricsController',
      ]);
      expect(listed(module, 'providers').slice(0, 2)).toEqual(['ClaimDecisionRepository', 'CampaignRepository']);
      expect(listed(module, 'export const demoSvcMigrations =')).toEqual([
        '...messagingMigrations',
        `CampaignTable${TIMESTAMP}`,
        `ClaimDecisionTable${TIMESTAMP + 1}`,
      ]);
      // demo-svc is not in the contracts' ownership table yet: nothing to warn about
      expect(warnings).toEqual([]);
    });

    it('refuses a second handler on a topic, a taken file or table, and an unknown app', async () => {
      const again = { project: 'demo-svc', feature: 'other', name: 'again', topic: 'campaignDefined', skipFormat: true };
      await expect(handlerGenerator(tree, again)).rejects.toThrow(/campaign\.handler\.ts handles campaignDefined already/);
      await expect(handlerGenerator(tree, { ...again, feature: 'campaigns', name: 'campaign', topic: 'claimDecided' })).rejects.toThrow(
        /exists already/,
      );
      await expect(handlerGenerator(tree, { ...again, name: 'campaign', topic: 'claimDecided' })).rejects.toThrow(
        /creates a table campaign already/,
      );
      await expect(handlerGenerator(tree, { ...again, project: 'nope', topic: 'claimDecided' })).rejects.toThrow(/nope/);
    });
  });

  describe('handler in an existing service', () => {
    // The real emoticons module, read (never written): the registration has to work on the modules as they are.
    const emoticonsModule = readFileSync(path.join(ROOT, 'apps/emoticons/src/emoticons.module.ts'), 'utf8');

    beforeEach(() => {
      addProjectConfiguration(tree, 'emoticons', { root: 'apps/emoticons', sourceRoot: 'apps/emoticons/src', projectType: 'application' });
      tree.write('apps/emoticons/src/emoticons.module.ts', emoticonsModule);
    });

    it('registers it in the module and says what the contracts still need', async () => {
      await generateHandler('emoticons', { feature: 'coupons-seen', name: 'coupon-seen', topic: 'couponIssued', timestamp: TIMESTAMP });
      const module = text(tree, 'apps/emoticons/src/emoticons.module.ts');
      expect(listed(module, 'controllers')[0]).toBe('CouponSeenHandler');
      expect(listed(module, 'controllers')).toContain('GrantHandler');
      expect(listed(module, 'export const emoticonsMigrations =').at(-1)).toBe(`CouponSeenTable${TIMESTAMP}`);
      expect(module).toContain("import { CouponSeenHandler } from './coupons-seen/coupon-seen.handler';");
      // everything that was there stays
      for (const line of emoticonsModule.split('\n').filter((l) => l.startsWith('import '))) expect(module).toContain(line);
      expect(warnings.join('\n')).toMatch(
        /emoticons does not consume coupon\.issued\.v1 yet: add 'couponIssued' to ServiceTopics\['emoticons'\]\.consumes/,
      );
    });

    it('prints what to add when the module is not in the usual shape, and changes nothing in it', async () => {
      tree.write(
        'apps/emoticons/src/emoticons.module.ts',
        "import { Module } from '@nestjs/common';\n\n@Module({})\nexport class EmoticonsModule {}\n",
      );
      await generateHandler('emoticons', { feature: 'downloads', name: 'download-seen', topic: 'emoticonDownloaded' });
      expect(text(tree, 'apps/emoticons/src/emoticons.module.ts')).not.toContain('DownloadSeen');
      expect(tree.exists('apps/emoticons/src/downloads/download-seen.handler.ts')).toBe(true);
      expect(warnings.join('\n')).toContain('could not register the handler in the module');
      expect(warnings.join('\n')).toContain('controllers: [DownloadSeenHandler, ...]');
    });
  });
});

describe('addToModule', () => {
  it('adds to arrays written over several lines, keeping a trailing comma out of the way', () => {
    const source = [
      "import { A } from './a';",
      'import {',
      '  B,',
      "} from './b';",
      '',
      'export const svcMigrations = [',
      '  ...messagingMigrations,',
      '  First1,',
      '];',
      'const m = {',
      '  controllers: [',
      '    AController,',
      '  ],',
      '  providers: [',
      '    A,',
      '  ],',
      '};',
    ].join('\n');
    const out = addToModule(source, {
      imports: ["import { X } from './x';"],
      controllers: ['XHandler'],
      providers: ['XRepository'],
      migrations: ['Second2'],
    });
    if (!('source' in out)) throw new Error(out.problems.join('; '));
    expect(out.source.split('\n').slice(0, 5)).toEqual([
      "import { A } from './a';",
      'import {',
      '  B,',
      "} from './b';",
      "import { X } from './x';",
    ]);
    expect(listed(out.source, 'export const svcMigrations =')).toEqual(['...messagingMigrations', 'First1', 'Second2']);
    expect(listed(out.source, 'controllers')).toEqual(['XHandler', 'AController']);
    expect(listed(out.source, 'providers')).toEqual(['XRepository', 'A']);
  });
});
