// `npm test`: makes sure the single-broker Kafka and Postgres are up, then runs the jest projects
// in order (unit, integration, e2e, fault), each with a JSON report in .local/test-results/, and
// ends with one summary line "N passed, N failed". Infra stays up for fast re-runs unless
// --stop-infra. Other arguments go to jest (e.g. `npm test -- --selectProjects unit`, a path).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, TEST_RESULTS_DIR, rel, infraEnv, infraDown, infraUp } from '@platform/tools-infra';
import { parseArgs, PROJECT_ARGS, type Project } from './args';

interface JestJson {
  success: boolean;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numRuntimeErrorTestSuites: number;
}

interface ProjectResult {
  project: Project;
  passed: number;
  failed: number;
  skipped: number;
  ok: boolean;
  note: string;
  seconds: number;
}

function runJest(project: Project, jestArgs: string[], env: NodeJS.ProcessEnv): Promise<ProjectResult> {
  const out = path.join(TEST_RESULTS_DIR, `${project}.json`);
  fs.rmSync(out, { force: true });
  const args = [
    require.resolve('jest/bin/jest', { paths: [ROOT] }),
    '--selectProjects',
    project,
    '--json',
    `--outputFile=${out}`,
    '--passWithNoTests',
    ...PROJECT_ARGS[project],
    ...jestArgs,
  ];
  const t0 = Date.now();
  console.log(`\n=== ${project} ===`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: 'inherit' });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      const seconds = (Date.now() - t0) / 1000;
      let json: JestJson | undefined;
      try {
        json = JSON.parse(fs.readFileSync(out, 'utf8')) as JestJson;
      } catch {
        json = undefined;
      }
      if (!json) {
        resolve({
          project,
          passed: 0,
          failed: 0,
          skipped: 0,
          ok: false,
          note: `jest crashed (exit ${code ?? signal}, no ${rel(out)})`,
          seconds,
        });
        return;
      }
      // A suite that cannot even load (syntax error, failing import) has no tests: count it once.
      const failed = json.numFailedTests + json.numRuntimeErrorTestSuites;
      const ok = code === 0 && json.success;
      const note = ok ? '' : failed === 0 ? `jest exited ${code ?? signal}` : '';
      resolve({ project, passed: json.numPassedTests, failed, skipped: json.numPendingTests, ok, note, seconds });
    };
    child.once('error', (e) => {
      console.error(`[test] could not run jest: ${e.message}`);
      finish(null, null);
    });
    child.once('exit', finish);
  });
}

async function main(): Promise<number> {
  const { projects, stopInfra, jestArgs } = parseArgs(process.argv.slice(2));
  fs.mkdirSync(TEST_RESULTS_DIR, { recursive: true });
  const results: ProjectResult[] = [];
  try {
    const infra = await infraUp({ brokers: 1, zipkin: false });
    const env = { ...process.env, ...infraEnv(infra) };
    for (const p of projects) results.push(await runJest(p, jestArgs, env));
  } catch (e) {
    console.error(`[test] ${e instanceof Error ? e.message : String(e)}`);
    results.push({
      project: projects[0] ?? 'unit',
      passed: 0,
      failed: 0,
      skipped: 0,
      ok: false,
      note: 'infrastructure failed to start',
      seconds: 0,
    });
  } finally {
    if (stopInfra) await infraDown({ all: true }).catch((e: unknown) => console.error(`[test] infra down failed: ${String(e)}`));
  }
  console.log('');
  for (const r of results) {
    console.log(
      `[test] ${r.project.padEnd(11)} ${r.ok ? 'ok  ' : 'FAIL'} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${r.seconds.toFixed(1)}s)${r.note ? ` - ${r.note}` : ''}`,
    );
  }
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  return results.every((r) => r.ok) && failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    console.log('0 passed, 0 failed');
    process.exit(1);
  },
);
