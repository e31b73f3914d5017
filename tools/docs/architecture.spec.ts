import { readFileSync } from 'node:fs';
import { allTopicSpecs, PLATFORM_SERVICES } from '@platform/contracts';
import {
  ARCHITECTURE_DOC,
  contractsTopology,
  currentTopology,
  renderTopology,
  replaceTopology,
  Topology,
  TOPOLOGY_END,
  TOPOLOGY_START,
} from './architecture';

describe('docs/architecture.md', () => {
  it('shows the topics and services the contracts define (run `npm run docs:architecture` after changing ownership or topics)', () => {
    const doc = readFileSync(ARCHITECTURE_DOC, 'utf8');
    expect(currentTopology(doc)).toBe(renderTopology(contractsTopology()));
  });

  it('draws every topic and every platform service of the contracts', () => {
    const block = renderTopology(contractsTopology());
    for (const t of allTopicSpecs) expect(block).toContain(`["${t.name}"]`);
    for (const s of PLATFORM_SERVICES) expect(block).toContain(`(["${s}"])`);
  });
});

describe('renderTopology', () => {
  // Two services, an inbound topic with a front door, an outbound topic read by one service,
  // and an outbound topic nobody consumes.
  const fixture: Topology = {
    services: [
      { name: 'front-door', produces: ['asked'], consumes: ['told'] },
      { name: 'decider', produces: ['told', 'audited'], consumes: ['asked'] },
    ],
    topics: [
      { key: 'asked', name: 'demo.asked.v1', direction: 'inbound', consumed: true },
      { key: 'told', name: 'demo.told.v1', direction: 'outbound', consumed: true },
      { key: 'audited', name: 'demo.audited.v1', direction: 'outbound', consumed: false },
    ],
    intake: ['asked'],
  };
  const block = renderTopology(fixture);
  const lines = block.split('\n');

  it('is a Mermaid flowchart between the markers, kept out of prettier', () => {
    expect(lines[0]).toBe(TOPOLOGY_START);
    expect(lines.at(-1)).toBe(TOPOLOGY_END);
    expect(block).toContain('<!-- prettier-ignore-start -->');
    expect(block).toContain('<!-- prettier-ignore-end -->');
    expect(block).toContain('```mermaid\nflowchart LR\n');
  });

  it('draws writers into each topic and the topic into its readers, the outside with a dotted edge', () => {
    const edges = lines.filter((l) => /^ {2}\w+ (-->|-\.->) \w+$/.test(l)).map((l) => l.trim());
    expect(edges).toEqual([
      'outside -.-> t_asked',
      'svc_front_door --> t_asked',
      't_asked --> svc_decider',
      'svc_decider --> t_told',
      't_told --> svc_front_door',
      'svc_decider --> t_audited',
    ]);
    expect(lines).toContain('  svc_front_door(["front-door"])');
    expect(lines).toContain('  t_asked["demo.asked.v1"]');
    expect(lines).toContain('  class t_asked inbound');
    expect(lines).toContain('  class t_told,t_audited outbound');
  });

  it('tabulates producer, consumers and dead-letter topic per topic, with aligned columns', () => {
    const rows = lines.filter((l) => l.startsWith('| '));
    expect(rows).toHaveLength(2 + fixture.topics.length);
    const cells = rows.map((r) =>
      r
        .slice(2, -2)
        .split(' | ')
        .map((c) => c.trim()),
    );
    expect(cells[0]).toEqual(['topic', 'contract key', 'producer', 'consumers', 'dead-letter topic']);
    expect(cells[2]).toEqual(['`demo.asked.v1`', '`asked`', 'outside, front-door (front door)', 'decider', '`demo.asked.v1.dlq`']);
    expect(cells[3]).toEqual(['`demo.told.v1`', '`told`', 'decider', 'front-door', '`demo.told.v1.dlq`']);
    expect(cells[4]).toEqual(['`demo.audited.v1`', '`audited`', 'decider', 'none', 'none (not consumed)']);
    expect(new Set(rows.map((r) => r.length)).size).toBe(1);
  });

  it('refuses a service naming a topic the contract does not define', () => {
    expect(() => renderTopology({ ...fixture, services: [{ name: 'x', produces: ['nope'], consumes: [] }] })).toThrow(/nope/);
  });
});

describe('replaceTopology', () => {
  const doc = `# title\n\nbefore\n\n${TOPOLOGY_START}\nold\n${TOPOLOGY_END}\n\nafter\n`;

  it('replaces only the block and keeps the prose around it', () => {
    const next = replaceTopology(doc, `${TOPOLOGY_START}\nnew\n${TOPOLOGY_END}`);
    expect(next).toBe(`# title\n\nbefore\n\n${TOPOLOGY_START}\nnew\n${TOPOLOGY_END}\n\nafter\n`);
    expect(currentTopology(next)).toBe(`${TOPOLOGY_START}\nnew\n${TOPOLOGY_END}`);
  });

  it('fails on a document without the markers', () => {
    expect(() => replaceTopology('# no block\n', 'x')).toThrow(/generated:topology:start/);
  });
});
