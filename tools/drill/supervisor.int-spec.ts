import { spawn } from 'node:child_process';
import { untilTime, waitFor } from '@platform/testing';
import { Supervisor } from './supervisor';

/** A real process: runs for `ms` then exits with `code` (ms < 0: runs until killed). */
const node =
  (ms: number, code = 1) =>
  () =>
    spawn(process.execPath, ['-e', ms < 0 ? 'setInterval(() => {}, 1000)' : `setTimeout(() => process.exit(${code}), ${ms})`], {
      stdio: 'ignore',
    });

const until = (what: string, check: () => boolean, timeoutMs = 10_000) => waitFor(what, check, timeoutMs, 20);

describe('Supervisor', () => {
  let sup: Supervisor;
  afterEach(async () => {
    await sup.stop(2000);
  });

  it('restarts a crashing process with a doubling backoff, capped', async () => {
    const starts: number[] = [];
    sup = new Supervisor('zone-t', { initialBackoffMs: 100, maxBackoffMs: 400, stableAfterMs: 60_000 });
    const crash = node(0);
    sup.add({ name: 'crasher', start: () => (starts.push(Date.now()), crash()) });
    await until('six starts', () => starts.length >= 6, 15_000);
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    // each gap = the process' own short life + the backoff: 100, 200, 400, 400, 400
    const backoffs = [100, 200, 400, 400, 400];
    gaps.forEach((g, i) => {
      expect(g).toBeGreaterThanOrEqual(backoffs[i] as number);
      expect(g).toBeLessThan((backoffs[i] as number) + 1500);
    });
    expect(sup.state('crasher').restarts).toBeGreaterThanOrEqual(5);
    expect(sup.state('crasher').lastExit?.code).toBe(1);
  });

  it('starts the backoff over after a stable run', async () => {
    const starts: number[] = [];
    sup = new Supervisor('zone-t', { initialBackoffMs: 300, maxBackoffMs: 5000, stableAfterMs: 200 });
    // every run lasts 250 ms (> stable): the delay stays 300 ms; doubling would make the gaps
    // 550, 850, 1450, 2650 ms
    const run = node(250);
    sup.add({ name: 'steady', start: () => (starts.push(Date.now()), run()) });
    await until('five starts', () => starts.length >= 5, 15_000);
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(550);
      expect(g).toBeLessThan(1100);
    }
  });

  it('restarts a process killed with SIGKILL, and keeps a halted zone down until resumed', async () => {
    sup = new Supervisor('zone-t', { initialBackoffMs: 50, maxBackoffMs: 200 });
    sup.add({ name: 'a', start: node(-1) });
    sup.add({ name: 'b', start: node(-1) });
    const first = sup.state('a').pid;
    expect(first).not.toBeNull();
    sup.signal('a', 'SIGKILL');
    await until('a restarted', () => sup.state('a').running && sup.state('a').pid !== first);
    expect(sup.state('a').restarts).toBe(1);
    expect(sup.state('a').lastExit?.signal).toBe('SIGKILL');

    await sup.haltAndKill();
    const haltedAt = Date.now();
    expect(sup.states().every((s) => !s.running)).toBe(true);
    // domain time: a restart would be due 50-200 ms after the kill; wait well past it
    await untilTime(haltedAt + 500); // nothing comes back while the zone is down
    expect(sup.states().every((s) => !s.running)).toBe(true);

    sup.resume();
    await until('both back', () => sup.states().every((s) => s.running));
    expect(sup.state('b').restarts).toBe(1);
  });

  it('stop ends every process for good', async () => {
    sup = new Supervisor('zone-t', { initialBackoffMs: 50 });
    sup.add({ name: 'a', start: node(-1) });
    const pid = sup.state('a').pid as number;
    await sup.stop(2000);
    const stoppedAt = Date.now();
    await waitFor(
      'the process gone',
      () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      5_000,
      20,
    );
    // domain time: a restart would be due 50 ms after the exit; wait well past it
    await untilTime(stoppedAt + 300);
    expect(sup.state('a').running).toBe(false);
    expect(sup.state('a').restarts).toBe(0); // never started again
    expect(() => process.kill(pid, 0)).toThrow();
    expect(() => sup.resume()).toThrow(/stopping/);
  });

  it('a start that throws is retried after the backoff', async () => {
    let attempts = 0;
    sup = new Supervisor('zone-t', { initialBackoffMs: 50, maxBackoffMs: 100 });
    sup.add({
      name: 'flaky',
      start: () => {
        if (++attempts < 3) throw new Error('port in use');
        return node(-1)();
      },
    });
    await until('started on the third attempt', () => sup.state('flaky').running);
    expect(attempts).toBe(3);
  });
});
