// The claims service alone on a preloaded topic, in the same run as the raw pipeline: the claims
// bench (apps/claims/bench/claims-bench.ts) as a child process of its own, like the service runs,
// on the same broker and Postgres server; its one JSON line is the result.
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export interface ClaimsAloneResult {
  benchmark: 'claims-service-alone';
  claims: number;
  accepted: number;
  seconds: number;
  acceptedPerSecond: number;
  command: string;
}

/** The result line among the child's output (the service may log around it). */
export function parseClaimsAlone(stdout: string): Omit<ClaimsAloneResult, 'command'> | null {
  for (const line of stdout.split('\n').reverse()) {
    if (!line.startsWith('{') || !line.includes('"claims-service-alone"')) continue;
    try {
      const r = JSON.parse(line) as Omit<ClaimsAloneResult, 'command'>;
      if (typeof r.acceptedPerSecond === 'number') return r;
    } catch {
      // not the result line
    }
  }
  return null;
}

export function runClaimsAlone(n: number, brokers: string[], databaseUrl: string, outFile: string, timeoutMs = 20 * 60_000): Promise<ClaimsAloneResult> {
  const entry = 'apps/claims/bench/claims-bench.ts';
  const args = [path.join(ROOT, 'tools/run.js'), entry, String(n), '--out', outFile];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, KAFKA_BROKERS: brokers.join(','), DATABASE_URL: databaseUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(t);
      const r = parseClaimsAlone(out);
      if (code === 0 && r) resolve({ ...r, command: `node tools/run.js ${entry} ${n}` });
      else reject(new Error(`${entry} exited ${code}: ${(err || out).slice(-600)}`));
    });
  });
}
