// Downloads the Java runtimes (Kafka, Zipkin) from Maven Central with a pinned dependency plugin.
// The copy lands in a temp dir that is renamed into place, so an interrupted or concurrent fetch
// never leaves a half-filled classpath behind; a marker holding the pom's hash skips re-fetching.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { rel } from './paths';

const PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies';

export function fileHash(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

// Asynchronous on purpose: a blocked event loop would time out concurrent health probes.
async function mvn(pom: string, outDir: string): Promise<void> {
  const started = Date.now();
  console.log(`[infra] fetching ${rel(pom)} dependencies from Maven Central (first time only)`);
  // Output is kept and shown only on failure: with -q a success prints nothing useful anyway.
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn('mvn', ['-B', '-q', '-Dstyle.color=never', '-f', pom, PLUGIN, '-DincludeScope=runtime', `-Dlibs.dir=${outDir}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 9 * 60_000,
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', (e) => reject(new Error(`mvn failed to run (is Maven installed?): ${e.message}`)));
    child.once('close', (c) => resolve({ code: c, output }));
  });
  if (code !== 0) throw new Error(`mvn exited with ${code} for ${rel(pom)}:\n${output.trim().split('\n').slice(-40).join('\n')}`);
  console.log(`[infra] fetched ${rel(pom)} dependencies in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

/**
 * Ensures `targetDir` holds the runtime dependencies of `pom` (a directory of jars). Skipped when
 * `targetDir/.pom-sha256` matches the current pom.
 */
export async function ensureMavenLibs(pom: string, targetDir: string): Promise<void> {
  const hash = fileHash(pom);
  const marker = path.join(targetDir, '.pom-sha256');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === hash) return;
  const tmp = `${targetDir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    await mvn(pom, tmp);
    fs.writeFileSync(path.join(tmp, '.pom-sha256'), `${hash}\n`);
    fs.rmSync(targetDir, { recursive: true, force: true });
    fs.renameSync(tmp, targetDir);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Ensures the single artifact of `pom` is present as `jarPath` (e.g. the Zipkin exec jar). */
export async function ensureMavenJar(pom: string, jarPath: string): Promise<void> {
  if (fs.existsSync(jarPath) && fs.statSync(jarPath).size > 0) return;
  const tmp = `${path.dirname(jarPath)}/.fetch-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    await mvn(pom, tmp);
    const got = path.join(tmp, path.basename(jarPath));
    if (!fs.existsSync(got)) throw new Error(`Maven did not produce ${path.basename(jarPath)} (got: ${fs.readdirSync(tmp).join(', ')})`);
    fs.renameSync(got, jarPath);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
