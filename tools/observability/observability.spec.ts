// deploy/observability is checked like code: the alert rules pass promtool (syntax and the
// behaviour in alerts.test.yaml), Prometheus' compose config is valid and scrapes every service,
// and every metric the rules and the dashboard use is one the services export.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { SERVICES } from '@platform/tools-ops';

const ROOT = path.resolve(__dirname, '..', '..');
const DIR = path.join(ROOT, 'deploy', 'observability');
const RULES = path.join(DIR, 'alerts.rules.yaml');
const DASHBOARD = path.join(DIR, 'grafana', 'dashboards', 'heart-pack-campaign.json');

const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => fs.existsSync(p)) ?? which('promtool');
function which(bin: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
if (!promtool)
  console.warn('promtool not installed (Debian: apt-get install -y prometheus; .ci/run installs it): the promtool checks are SKIPPED');
const withPromtool = promtool ? it : it.skip;

const run = (args: string[], cwd = ROOT) => spawnSync(promtool as string, args, { encoding: 'utf8', cwd, timeout: 60_000 });

interface Rule {
  alert?: string;
  expr: string;
}
const rules = (): Rule[] => (parse(fs.readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
}
const dashboard = () => JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: Panel[] };

/** Metric names an expression reads (our prefixes; Prometheus' own `up` aside). */
function metricNames(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b((?:heartpack|messaging|nodejs|process)_[a-z0-9_]+)\b/g)].map((m) => m[1] as string))];
}

/** Every string literal in the TypeScript sources of apps and libs (instrument names live there). */
function exportedNames(): Set<string> {
  const out = new Set<string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && e.name !== 'node_modules') walk(p);
      else if (e.isFile() && p.endsWith('.ts') && !/\.(spec|int-spec|e2e-spec|fault-spec)\.ts$/.test(p))
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/'([a-z][a-z0-9_]+)'/g)) out.add(m[1] as string);
    }
  };
  walk(path.join(ROOT, 'apps'));
  walk(path.join(ROOT, 'libs'));
  return out;
}

describe('alert rules (deploy/observability/alerts.rules.yaml)', () => {
  withPromtool('pass promtool check rules', () => {
    const r = run(['check', 'rules', RULES]);
    expect(`${r.stdout}${r.stderr}`).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status).toBe(0);
  });

  withPromtool('fire as alerts.test.yaml expects (ETA past three days, channel errors, service down)', () => {
    const r = run(['test', 'rules', path.join(DIR, 'alerts.test.yaml')]);
    expect({ status: r.status, out: `${r.stdout}${r.stderr}` }).toEqual({ status: 0, out: expect.stringContaining('SUCCESS') });
  });

  withPromtool('promtool catches a broken rule (the check can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rules-'));
    try {
      const broken = path.join(dir, 'broken.yaml');
      fs.writeFileSync(broken, 'groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: sum by (job (up)\n');
      expect(run(['check', 'rules', broken]).status).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cover what ops must be woken for', () => {
    const names = rules().map((r) => r.alert);
    for (const a of [
      'HeartPackServiceDown',
      'HeartPackConsumerStuck',
      'HeartPackDeadLettersGrowing',
      'HeartPackOutboxBacklog',
      'HeartPackPassEtaPastBound',
      'HeartPackChannelErrorRate',
    ])
      expect(names).toContain(a);
  });

  it('read only metrics the services export', () => {
    const known = exportedNames();
    const missing = rules()
      .flatMap((r) => metricNames(r.expr).map((m) => ({ rule: r.alert, metric: m })))
      .filter(({ metric }) => !known.has(metric.replace(/_total$/, '')));
    expect(missing).toEqual([]);
  });
});

describe('Grafana dashboard', () => {
  it('is valid JSON whose panels read only exported metrics', () => {
    const d = dashboard();
    expect(d.uid).toBe('heart-pack-campaign');
    const known = exportedNames();
    const exprs = d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(15);
    const missing = exprs.flatMap((e) =>
      metricNames(e.expr)
        .filter((m) => !known.has(m.replace(/_total$/, '')))
        .map((m) => `${e.panel}: ${m}`),
    );
    expect(missing).toEqual([]);
  });

  it('shows the campaign numbers ops asked for', () => {
    const all = dashboard()
      .panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr))
      .join('\n');
    for (const m of [
      'heartpack_claims_decided_total',
      'heartpack_grants_total',
      'heartpack_pass_queue_depth',
      'heartpack_pass_drain_eta_seconds',
      'heartpack_pass_delay_notices_total',
      'heartpack_channel_responses_total',
      'messaging_dlq_depth',
      'messaging_dead_lettered_by_reason_total',
      'messaging_consumer_lag',
      'nodejs_eventloop_delay_seconds',
    ])
      expect(all).toContain(m);
  });
});

describe('Prometheus for docker-compose', () => {
  const config = () =>
    parse(fs.readFileSync(path.join(DIR, 'prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[]; labels: Record<string, string> }[] }[];
    };

  it('scrapes every service npm start runs, on its port, labelled like the k8s deployment', () => {
    const jobs = new Map(config().scrape_configs.map((s) => [s.job_name, s.static_configs[0]]));
    for (const s of SERVICES) {
      expect([s.name, jobs.get(s.name)?.targets]).toEqual([s.name, [`${s.name}:${s.port}`]]);
      expect(jobs.get(s.name)?.labels.namespace).toBe('heart-pack');
    }
  });

  withPromtool('passes promtool check config (rules and token file in place)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prom-'));
    try {
      fs.copyFileSync(path.join(DIR, 'prometheus.yml'), path.join(dir, 'prometheus.yml'));
      fs.copyFileSync(RULES, path.join(dir, 'alerts.rules.yaml'));
      fs.mkdirSync(path.join(dir, 'token'));
      fs.writeFileSync(path.join(dir, 'token', 'reader.token'), 'x');
      const r = run(['check', 'config', 'prometheus.yml'], dir);
      expect({ status: r.status, out: `${r.stdout}${r.stderr}` }).toEqual({ status: 0, out: expect.stringContaining('SUCCESS') });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('docker-compose mounts files that exist', () => {
    const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { volumes?: string[] }>;
    };
    for (const svc of ['prometheus', 'grafana']) {
      const mounts = (compose.services[svc]?.volumes ?? []).filter((v) => v.startsWith('./'));
      expect(mounts.length).toBeGreaterThan(0);
      for (const m of mounts) expect([m, fs.existsSync(path.join(ROOT, m.split(':')[0] as string))]).toEqual([m, true]);
    }
  });
});
