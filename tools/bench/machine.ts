// The machine a benchmark ran on: results only mean something next to it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

export interface MachineInfo {
  hostname: string;
  os: string;
  kernel: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  java: string | null;
  postgres: string | null;
  kafka: string | null;
  kafkajs: string;
  /** 1-minute load average at the start and end: other work on the box skews results. */
  loadAverageStart: number;
  loadAverageEnd?: number;
}

const ROOT = path.resolve(__dirname, '../..');

/** `java -version` prints on stderr. */
function javaVersion(): string | null {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error) return null;
  return `${r.stderr}${r.stdout}`.split('\n')[0]?.trim() || null;
}

export function kafkaVersion(): string | null {
  const libs = path.join(ROOT, 'deploy', 'kafka', 'libs');
  if (!fs.existsSync(libs)) return null;
  const jar = fs.readdirSync(libs).find((f) => /^kafka-clients-[\d.]+\.jar$/.test(f));
  return jar ? jar.replace(/^kafka-clients-/, '').replace(/\.jar$/, '') : null;
}

export async function describeMachine(databaseUrl: string): Promise<MachineInfo> {
  let postgres: string | null = null;
  const c = new Client({ connectionString: databaseUrl });
  try {
    await c.connect();
    postgres = ((await c.query('SHOW server_version')).rows[0] as { server_version: string }).server_version;
  } catch {
    postgres = null;
  } finally {
    await c.end().catch(() => undefined);
  }
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    kernel: os.release(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    java: javaVersion(),
    postgres,
    kafka: kafkaVersion(),
    kafkajs: (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'kafkajs', 'package.json'), 'utf8')) as { version: string }).version,
    loadAverageStart: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}
