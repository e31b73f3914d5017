import { spawn } from 'node:child_process';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { loadOtelEnv, otlpTracesUrl, traceExporters } from './otel-env';

describe('trace export settings (standard OTEL_* variables)', () => {
  it('Zipkin by default, OTLP when an endpoint is set, what OTEL_TRACES_EXPORTER says otherwise', () => {
    expect(traceExporters(loadOtelEnv({}))).toEqual(['zipkin']);
    const otlp = loadOtelEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' });
    expect(traceExporters(otlp)).toEqual(['otlp']);
    expect(otlpTracesUrl(otlp)).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl(loadOtelEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://tempo:4318/custom' }))).toBe('http://tempo:4318/custom');
    expect(traceExporters(loadOtelEnv({ OTEL_TRACES_EXPORTER: 'otlp,zipkin', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }))).toEqual([
      'otlp',
      'zipkin',
    ]);
    expect(traceExporters(loadOtelEnv({ OTEL_TRACES_EXPORTER: 'none' }))).toEqual([]);
  });

  it('refuses values it cannot honour, naming the variable', () => {
    expect(() => loadOtelEnv({ OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() => loadOtelEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() => loadOtelEnv({ OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
  });
});

describe('OTLP export', () => {
  let server: Server;
  const bodies: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/v1/traces') bodies.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });

  afterAll(() => new Promise((r) => server.close(r)));

  it('a service sends the spans still queued in its batch processor when SIGTERM stops it, with the resource from OTEL_*', async () => {
    const { port } = server.address() as AddressInfo;
    const child = spawn(process.execPath, ['tools/run.js', 'libs/telemetry/test/otlp-probe.ts'], {
      cwd: path.resolve(__dirname, '../../..'),
      env: {
        ...process.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=drill,service.namespace=heart-pack',
        OTEL_SERVICE_NAME: 'claims-canary',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code, signal) => r(code ?? (signal ? 128 : null))));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.on('exit', () => reject(new Error('probe exited before it was ready')));
    });
    // queued, not sent: the batch processor waits up to 5 s before exporting
    expect(bodies).toHaveLength(0);
    child.kill('SIGTERM');
    await exited;
    const all = bodies.join('\n');
    expect(all).toContain('decide chunk before SIGTERM');
    expect(all).toContain('claims-canary');
    expect(all).toContain('drill');
  }, 60_000);
});
