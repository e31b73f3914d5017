import { parseClaimsAlone } from './claims-alone';
import { cpuBetween, CpuGroup, listenerPorts, parseProcStat, ProcTimes, sampleCpu, treeTicks } from './cpu';
import { BenchResult, benchRatios, htmlReport, markdown, niceCeiling, postgresBound, ROW_WRITES_PER_CLAIM, steadyState, throughputSeries } from './report';

// A real postmaster line (pid 2198): utime 11, stime 82, cutime 7741, cstime 2476.
const POSTMASTER = '2198 (postgres) S 1 2198 2198 0 -1 4194304 20847 1499843 0 61 11 82 7741 2476 20 0 1 0 3853 222445568 7416 18446744073709551615';

const proc = (pid: number, ppid: number, utime: number, stime = 0, cutime = 0, cstime = 0): ProcTimes => ({ pid, comm: 'x', ppid, utime, stime, cutime, cstime });
const procs = (...ps: ProcTimes[]) => new Map(ps.map((p) => [p.pid, p]));

describe('/proc CPU accounting', () => {
  it('reads ppid and the four time fields counted from the last parenthesis', () => {
    expect(parseProcStat(POSTMASTER)).toEqual({ pid: 2198, comm: 'postgres', ppid: 1, utime: 11, stime: 82, cutime: 7741, cstime: 2476 });
    const odd = parseProcStat('77 (we ird) (name)) R 5 77 77 0 -1 0 0 0 0 0 300 40 2 1 20 0');
    expect(odd).toMatchObject({ pid: 77, comm: 'we ird) (name)', ppid: 5, utime: 300, stime: 40, cutime: 2, cstime: 1 });
  });

  it('refuses a line that is not a stat line', () => {
    expect(() => parseProcStat('hello')).toThrow(/not a \/proc stat line/);
    expect(() => parseProcStat('1 (a) S 0')).toThrow(/unexpected/);
  });

  it('sums a process tree with the reaped children, and nothing outside it', () => {
    // postmaster 10 (reaped backends 500 ticks) -> backends 11, 12 -> 13; 20 is another server
    const p = procs(proc(10, 1, 5, 5, 400, 100), proc(11, 10, 30, 10), proc(12, 10, 20), proc(13, 12, 7), proc(20, 1, 1000));
    expect(treeTicks([10], p)).toEqual({ ticks: 10 + 500 + 40 + 20 + 7, pids: 4 });
    expect(treeTicks([11, 20], p)).toEqual({ ticks: 40 + 1000, pids: 2 });
    expect(treeTicks([99], p)).toEqual({ ticks: 0, pids: 0 });
  });

  it('turns two samples into CPU seconds per decided claim over every group', () => {
    const groups: CpuGroup[] = [
      { name: 'claims', kind: 'service', roots: [11] },
      { name: 'emoticons', kind: 'service', roots: [12] },
      { name: 'kafka', kind: 'kafka', roots: [30] },
      { name: 'postgres', kind: 'postgres', roots: [10] },
    ];
    const before = sampleCpu(groups, procs(proc(11, 1, 100), proc(12, 1, 50), proc(30, 1, 1000), proc(10, 1, 0, 0, 200)), 0);
    // a backend ended in the meantime: its time moved into the postmaster's cutime
    const after = sampleCpu(groups, procs(proc(11, 1, 400), proc(12, 1, 150), proc(30, 1, 1500), proc(10, 1, 0, 0, 1200)), 10_000);
    const r = cpuBetween(groups, before, after, 100, 2000, 1.5);
    expect(r.cpuSeconds).toEqual({ claims: 3, emoticons: 1, kafka: 5, postgres: 10 });
    expect(r.byKind).toEqual({ services: 4, kafka: 5, postgres: 10 });
    expect(r.totalCpuSeconds).toBe(19);
    expect(r.cpuSecondsPerDecidedClaim).toBe(0.0095);
    expect(r.cpuMsPerDecidedClaim).toBe(9.5);
    expect(r.coresBusy).toBe(1.9);
    expect(r.wallSeconds).toBe(10);
    expect(r.benchProcessCpuSeconds).toBe(1.5);
    expect(cpuBetween(groups, before, after, 100, 0).cpuSecondsPerDecidedClaim).toBeNull();
  });

  it('counts a restarted process from zero rather than negative', () => {
    const groups: CpuGroup[] = [{ name: 'claims', kind: 'service', roots: [11] }];
    const r = cpuBetween(groups, { atMs: 0, ticks: { claims: 900 }, pids: {} }, { atMs: 1000, ticks: { claims: 50 }, pids: {} }, 100, 10);
    expect(r.cpuSeconds.claims).toBe(0.5);
  });

  it('finds the listener ports of a broker', () => {
    expect(listenerPorts('node.id=1\nlisteners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093\nadvertised.listeners=PLAINTEXT://x:1\n')).toEqual([9092, 9093]);
    expect(listenerPorts('node.id=1\n')).toEqual([]);
  });
});

describe('ratios', () => {
  it('derives ~19 row writes per claim and the Postgres bound from the insert ceiling', () => {
    expect(ROW_WRITES_PER_CLAIM).toBeCloseTo(18.6, 10);
    expect(postgresBound(98_600)).toEqual({ rowsPerSecond: 98_600, rowWritesPerClaim: 18.6, claimsPerSecond: 5301 });
    expect(postgresBound(undefined)).toBeNull();
    expect(postgresBound(0)).toBeNull();
  });

  it('reports claims alone / raw and platform / Postgres bound next to the earlier ratios', () => {
    const r = benchRatios({
      ceiling: { kafkaProducer: null, kafkaConsumer: null, postgresInsert: { rows: 1, batch: 1, seconds: 1, rowsPerSecond: 93_000, statement: '' }, errors: [] },
      hop: { records: 1000, raw: { records: 1000, seconds: 1, recordsPerSecond: 28_000, batches: 1, meanBatchRecords: 1000, partitions: 12, settings: '' }, claimsAlone: { benchmark: 'claims-service-alone', claims: 1000, accepted: 1000, seconds: 1, acceptedPerSecond: 13_300, command: '' }, errors: [] },
      sustained: { durationS: 60, warmupS: 10, maxInFlight: 1, steady: { fromSecond: 10, toSecond: 60, decidedPerSecond: 1750, entitlementsPerSecond: 0, passDecisionsPerSecond: 0, sentPerSecond: 0 }, run: {} as never },
      postgresBound: postgresBound(93_000),
    });
    expect(r).toEqual({ decidedVsKafkaProducer: null, decidedVsKafkaConsumer: null, decidedVsPostgresInsert: 0.019, claimsAloneVsRaw: 0.475, decidedVsPostgresBound: 0.35 });
  });

  it('takes the steady state from the series window only', () => {
    const series = [0, 1, 2, 3].map((t) => ({ t, counts: { decided: t * 100, sent: 10, entitlements: t }, latency: {} }));
    expect(steadyState({ series }, 2, 4)).toEqual({ fromSecond: 2, toSecond: 4, decidedPerSecond: 250, entitlementsPerSecond: 2.5, passDecisionsPerSecond: 0, sentPerSecond: 10 });
    expect(throughputSeries({ series })[3]).toEqual({ t: 3, sent: 10, decided: 300, entitlements: 3, passDecisions: 0 });
  });

  it('reads the claims bench result line among service logs', () => {
    const out = ['{"level":"warn","msg":"x"}', '{"benchmark":"claims-service-alone","claims":5,"accepted":5,"seconds":0.5,"acceptedPerSecond":10}', ''].join('\n');
    expect(parseClaimsAlone(out)).toMatchObject({ acceptedPerSecond: 10, claims: 5 });
    expect(parseClaimsAlone('{"benchmark":"claims-service-alone"')).toBeNull();
  });
});

describe('report', () => {
  const bench = (): BenchResult => ({
    benchmark: 'e2e',
    version: 1,
    startedAt: '2026-12-03T09:00:00.000Z',
    finishedAt: '2026-12-03T09:10:00.000Z',
    machine: { hostname: 'h', os: 'Linux', kernel: 'k', cpus: 2, cpuModel: 'cpu', memoryGiB: 24, node: 'v22', java: null, postgres: '15', kafka: '4.0', kafkajs: '2.2.4', loadAverageStart: 0.3, loadAverageEnd: 4.2 },
    ceiling: { kafkaProducer: null, kafkaConsumer: null, postgresInsert: { rows: 1, batch: 1000, seconds: 1, rowsPerSecond: 93_000, statement: '' }, errors: [] },
    hop: { records: 1000, raw: { records: 1000, seconds: 1, recordsPerSecond: 28_123, batches: 1, meanBatchRecords: 1000, partitions: 12, settings: '' }, claimsAlone: { benchmark: 'claims-service-alone', claims: 1000, accepted: 1000, seconds: 1, acceptedPerSecond: 13_321, command: '' }, errors: [] },
    services: { mode: 'isolated', prefix: 'p.', running: [{ name: 'claims', pid: 1, origin: 'isolated' }, { name: 'coupons', pid: 2, origin: 'isolated' }], missing: [] },
    memory: { idle: { claims: { samples: 2, minMiB: 160, maxMiB: 170, meanMiB: 165.5 } }, loaded: { claims: { samples: 9, minMiB: 170, maxMiB: 231.4, meanMiB: 200 } } },
    sustained: {
      durationS: 60,
      warmupS: 10,
      maxInFlight: 20_000,
      steady: { fromSecond: 10, toSecond: 60, decidedPerSecond: 1793, entitlementsPerSecond: 3423, passDecisionsPerSecond: 700, sentPerSecond: 1800 },
      run: { ok: true, comparison: [] } as never,
      series: [
        { t: 0, sent: 100, decided: 50, entitlements: 80, passDecisions: 10 },
        { t: 1, sent: 2222, decided: 1793, entitlements: 3423, passDecisions: 700 },
      ],
    },
    latency: { rate: 1000, durationS: 30, run: { latencyMs: { decision: { count: 30_000, p50: 324, p95: 600, p99: 704, max: 900, mean: 350 }, reservation: { count: 9000, p50: 968, p95: 1500, p99: 1831, max: 2000, mean: 1000 } } } as never },
    postgresBound: postgresBound(93_000),
    cpu: { ...cpuBetween([{ name: 'claims', kind: 'service', roots: [1] }], { atMs: 0, ticks: { claims: 0 }, pids: {} }, { atMs: 1000, ticks: { claims: 250 }, pids: {} }, 100, 1000), notes: ['a <note>'] },
    ratios: {},
  });

  it('renders the figures, the three charts and escapes text, with no external resource', () => {
    const b = bench();
    b.ratios = benchRatios(b);
    const html = htmlReport(b);
    expect(html).toContain('28,123 rec/s');
    expect(html).toContain('13,321 accepted/s');
    expect(html).toContain('0.474x');
    expect(html).toContain('1,793/s');
    expect(html).toContain('5,000 claims/s');
    expect(html).toContain('2.5 ms');
    expect(html).toContain('Throughput over time');
    expect(html).toContain('Latency percentiles per stage at 1000 claims/s');
    expect(html).toContain('RSS per service');
    expect(html).toContain('>1,831<'); // the reservation p99 bar label
    expect(html).toContain('>231.4<'); // claims' loaded RSS bar label
    expect(html).toContain('a &lt;note&gt;');
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3)/);
  });

  it('leaves out charts of phases that did not run', () => {
    const b = bench();
    b.sustained = null;
    b.latency = null;
    b.cpu = null;
    const html = htmlReport(b);
    expect(html).not.toContain('Throughput over time');
    expect(html).not.toContain('Latency percentiles');
    expect(html).toContain('RSS per service');
  });

  it('prints the one-hop figures and ratios in the markdown summary', () => {
    const b = bench();
    b.ratios = benchRatios(b);
    const md = markdown(b);
    expect(md).toContain('| raw one-hop pipeline (kafkajs + pg, 1,000 claims) | 28,123 rec/s | reference |');
    expect(md).toContain('**0.474x raw**');
    expect(md).toContain('**0.359x Postgres bound**');
    expect(md).toContain('CPU per decided claim');
  });

  it('rounds axis tops up to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect([0, 0.7, 1, 1.2, 2.2, 3, 7, 1793, 3423].map(niceCeiling)).toEqual([1, 1, 1, 2, 2.5, 5, 10, 2000, 5000]);
  });
});
