import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

interface CompileLib {
  compile(root: string, outDir: string): number;
  buildKey(root: string): string;
  ensureBuild(root: string): string;
}
// plain CommonJS: tools/run.js loads it before any TypeScript support exists
const lib = createRequire(__filename)('../compile.js') as CompileLib;
const REPO = path.resolve(__dirname, '../..');

/** A tiny workspace: one service importing one lib through a tsconfig path, as the real ones do. */
function fakeWorkspace(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'compile-spec-'));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  fs.copyFileSync(path.join(REPO, '.swcrc'), path.join(root, '.swcrc'));
  write(
    'tsconfig.base.json',
    JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@platform/greeting': ['libs/greeting/src/index.ts'] } } }),
  );
  write('libs/greeting/src/index.ts', `export const greeting = (who: string): string => 'hello ' + who;\n`);
  write('libs/greeting/src/index.spec.ts', `throw new Error('specs are not built');\n`);
  write('apps/svc/src/main.ts', `import { greeting } from '@platform/greeting';\nconsole.log(greeting(process.argv[2] ?? 'nobody'));\n`);
  return root;
}

describe('the ahead-of-time service build (tools/compile.js)', () => {
  const roots: string[] = [];
  const workspace = () => {
    const r = fakeWorkspace();
    roots.push(r);
    return r;
  };
  afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

  it('compiles the real services with every @platform import rewritten to a relative path', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'compile-spec-out-'));
    roots.push(out);
    expect(lib.compile(REPO, out)).toBeGreaterThan(100);
    const main = fs.readFileSync(path.join(out, 'apps/claims/src/main.js'), 'utf8');
    expect(main).toMatch(/require\("\.\.\/\.\.\/\.\.\/libs\/telemetry\/src"\)/);
    const leftovers = spawnSync('grep', ['-rlE', `require\\(["']@platform/`, out], { encoding: 'utf8' }).stdout.trim();
    expect(leftovers).toBe('');
    expect(fs.existsSync(path.join(out, 'apps/claims/src/claims/claims.controller.spec.js'))).toBe(false);
    expect(fs.readdirSync(path.join(out, 'apps/ops-console/public')).length).toBeGreaterThan(0);
  });

  it('builds once per change of the sources, and the build runs without a compiler', () => {
    const root = workspace();
    const first = lib.ensureBuild(root);
    const marker = fs.statSync(path.join(first, '.complete')).mtimeMs;
    expect(lib.ensureBuild(root)).toBe(first);
    expect(fs.statSync(path.join(first, '.complete')).mtimeMs).toBe(marker);
    expect(fs.existsSync(path.join(first, 'libs/greeting/src/index.spec.js'))).toBe(false);
    const run = spawnSync(process.execPath, [path.join(first, 'apps/svc/src/main.js'), 'campaign'], { encoding: 'utf8' });
    expect(run.stdout.trim()).toBe('hello campaign');

    fs.appendFileSync(path.join(root, 'libs/greeting/src/index.ts'), `export const farewell = 'bye';\n`);
    const second = lib.ensureBuild(root);
    expect(second).not.toBe(first);
    expect(fs.readFileSync(path.join(second, 'libs/greeting/src/index.js'), 'utf8')).toContain('farewell');
  });

  it('lets replicas started together share one complete build', async () => {
    const root = workspace();
    const script = `process.stdout.write(require(${JSON.stringify(path.join(REPO, 'tools/compile.js'))}).ensureBuild(${JSON.stringify(root)}))`;
    const runOne = () =>
      new Promise<string>((resolve, reject) => {
        const c = spawn(process.execPath, ['-e', script], { cwd: REPO });
        let out = '';
        c.stdout.on('data', (b: Buffer) => (out += b.toString()));
        c.on('error', reject);
        c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`ensureBuild exited ${code}`))));
      });
    const dirs = await Promise.all([runOne(), runOne(), runOne(), runOne()]);
    expect(new Set(dirs).size).toBe(1);
    const dir = dirs[0] ?? '';
    expect(fs.existsSync(path.join(dir, '.complete'))).toBe(true);
    expect(fs.readdirSync(path.dirname(dir)).filter((d) => d.includes('.tmp-'))).toEqual([]);
  });
});
