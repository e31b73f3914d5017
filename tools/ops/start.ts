// `npm start`: infra (single Kafka broker, Postgres, Zipkin), then every built service in the
// background; waits until each is healthy and prints where everything is. Re-running is harmless.
import { Command } from 'commander';
import { rel, LOGS_DIR, isAlive, sleep, infraUp, zipkinUiUrl } from '@platform/tools-infra';
import {
  OPS_CONSOLE,
  SERVICES,
  isBuilt,
  serviceHealthy,
  serviceLog,
  serviceLogTail,
  servicePid,
  serviceStatus,
  serviceUrl,
  startService,
  type ServiceDef,
} from './services';
import { servicesTable } from './table';
import { ensureHttpCredentials, LOCAL_PRINCIPALS } from './credentials';

async function waitHealthy(s: ServiceDef, pid: number | null, deadline: number): Promise<string | null> {
  while (Date.now() < deadline) {
    if (await serviceHealthy(s)) return null;
    const current = servicePid(s) ?? pid;
    if (current !== null && !isAlive(current)) return `${s.name} exited during start-up`;
    await sleep(500);
  }
  return `${s.name} did not become healthy within the timeout`;
}

async function main(): Promise<void> {
  const o = new Command('start')
    .option('--no-zipkin', 'do not start Zipkin')
    .option('--timeout <seconds>', 'per-run health timeout', (v) => Number.parseInt(v, 10), 180)
    .parse(process.argv)
    .opts<{ zipkin: boolean; timeout: number }>();
  const t0 = Date.now();
  const infra = await infraUp({ brokers: 1, zipkin: o.zipkin });
  // before the services start: they read the signing secret at boot
  const credentials = await ensureHttpCredentials();
  const pids = new Map<string, number | null>();
  for (const s of SERVICES) {
    const already = servicePid(s);
    const pid = await startService(s, infra);
    if (!isBuilt(s)) console.log(`[start] ${s.name}: not built (apps/${s.name}/src/main.ts missing), skipped`);
    else if (already) console.log(`[start] ${s.name}: already running (pid ${already})`);
    else if (pid) console.log(`[start] ${s.name}: started (pid ${pid}), log ${rel(serviceLog(s))}`);
    else console.log(`[start] ${s.name}: port ${s.port} already serves a healthy instance, left alone`);
    pids.set(s.name, pid);
  }
  const deadline = Date.now() + o.timeout * 1000;
  const failures = (
    await Promise.all(SERVICES.filter(isBuilt).map(async (s) => ({ s, why: await waitHealthy(s, pids.get(s.name) ?? null, deadline) })))
  ).filter((f) => f.why !== null);
  for (const f of failures) {
    console.error(`\n[start] ${f.why}; last lines of ${rel(serviceLog(f.s))}:\n${serviceLogTail(f.s)}`);
  }
  console.log(servicesTable(await Promise.all(SERVICES.map(serviceStatus))));
  const opsConsole = SERVICES.find((s) => s.name === OPS_CONSOLE);
  if (opsConsole && isBuilt(opsConsole))
    console.log(
      `Ops console: ${serviceUrl(opsConsole)}/  (sign in with ${rel(credentials.tokens.ops)} or ${rel(credentials.tokens.reader)})`,
    );
  console.log(`Zipkin UI: ${infra.zipkinUrl ? zipkinUiUrl() : '(not started)'}`);
  console.log(`Kafka:     ${infra.kafkaBrokers.join(',')}`);
  console.log(`Logs:      ${rel(LOGS_DIR)}/`);
  console.log(`HTTP credentials: ${rel(credentials.dir)}/ (${LOCAL_PRINCIPALS.map((p) => p.file).join(', ')}; renewed on every start)`);
  console.log(`  e.g. curl -H "Authorization: Bearer $(cat ${rel(credentials.tokens.reader)})" http://127.0.0.1:3004/passes/status`);
  console.log(`Stop with: npm stop   (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  if (failures.length > 0) process.exit(1);
}

main().catch((e: unknown) => {
  console.error(`[start] ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
