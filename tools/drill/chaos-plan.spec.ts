import { FAULT_KINDS, planFaults } from './chaos-plan';

const base = { seed: 1, faults: 10, loadSeconds: 600, services: ['claims', 'emoticons', 'coupons', 'pass-dispatcher'], brokers: [1, 2, 3] };

describe('chaos fault plan', () => {
  it('is the same for the same seed and different for another', () => {
    expect(planFaults(base)).toEqual(planFaults(base));
    expect(planFaults({ ...base, seed: 2 })).not.toEqual(planFaults(base));
  });

  it('uses every kind once there are as many faults as kinds, and only allowed kinds', () => {
    expect(new Set(planFaults(base).map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    const noPg = planFaults({ ...base, kinds: FAULT_KINDS.filter((k) => k !== 'postgres-restart') });
    expect(noPg.some((f) => f.kind === 'postgres-restart')).toBe(false);
  });

  it('spreads the faults over the load, in order, each ending before the load does', () => {
    const plan = planFaults(base);
    expect(plan).toHaveLength(10);
    const starts = plan.map((f) => f.atSeconds);
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    expect(new Set(starts).size).toBe(starts.length);
    for (const f of plan) expect(f.atSeconds + f.durationSeconds).toBeLessThanOrEqual(base.loadSeconds);
    expect(starts[0]).toBeLessThan(60);
    expect(starts[9]).toBeGreaterThan(500);
  });

  it('names a target for service and broker faults, and freezes for 40 s (past the session timeout)', () => {
    for (const f of planFaults({ ...base, faults: 25 })) {
      if (f.kind === 'service-kill' || f.kind === 'service-freeze') expect(base.services).toContain(f.target);
      if (f.kind === 'broker-kill') expect(['1', '2', '3']).toContain(f.target);
      if (f.kind === 'service-freeze') expect(f.durationSeconds).toBe(40);
    }
  });
});
