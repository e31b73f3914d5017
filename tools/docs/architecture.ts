// The topic map in docs/architecture.md, generated from the contracts lib so it cannot go stale:
// who writes each topic, who reads it, and where its dead letters go.
//   npm run docs:architecture                                        -> rewrites the generated block
//   node tools/run.js tools/docs/architecture.ts --check             -> fails if the block is stale
//   node tools/run.js tools/docs/architecture.ts                     -> prints the block
// CI runs tools/docs/architecture.spec.ts, which makes the same comparison.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dlqName, INTAKE_TOPICS, PLATFORM_SERVICES, ServiceTopics, Topics, type TopicKey } from '@platform/contracts';

export const TOPOLOGY_START = '<!-- generated:topology:start -->';
export const TOPOLOGY_END = '<!-- generated:topology:end -->';
export const ARCHITECTURE_DOC = path.resolve(__dirname, '../../docs/architecture.md');

export interface TopologyTopic {
  /** The contract key (`claimRequested`). */
  readonly key: string;
  /** The topic name with its version (`compensation.claim.requested.v1`). */
  readonly name: string;
  readonly direction: 'inbound' | 'outbound';
  /** Consumed by a platform service, so it has a dead-letter topic. */
  readonly consumed: boolean;
}

export interface TopologyService {
  readonly name: string;
  readonly produces: readonly string[];
  readonly consumes: readonly string[];
}

/** What the map is drawn from: plain data, so a fixture can stand in for the contracts. */
export interface Topology {
  readonly services: readonly TopologyService[];
  /** In contract order. */
  readonly topics: readonly TopologyTopic[];
  /** Inbound topics a platform service also writes, as the front door for them. */
  readonly intake: readonly string[];
}

/** The platform's topology as the contracts lib states it (ownership.ts, topics.ts). */
export function contractsTopology(): Topology {
  return {
    services: PLATFORM_SERVICES.map((name) => ({ name, produces: ServiceTopics[name].produces, consumes: ServiceTopics[name].consumes })),
    topics: (Object.keys(Topics) as TopicKey[]).map((key) => ({
      key,
      name: Topics[key].name,
      direction: Topics[key].direction,
      consumed: Topics[key].consumed,
    })),
    intake: INTAKE_TOPICS,
  };
}

interface TopicRow {
  topic: TopologyTopic;
  /** Platform services writing it (an inbound topic is also written from outside). */
  producers: string[];
  consumers: string[];
}

function topicRows(t: Topology): TopicRow[] {
  const known = new Set(t.topics.map((x) => x.key));
  for (const s of t.services)
    for (const k of [...s.produces, ...s.consumes])
      if (!known.has(k)) throw new Error(`service ${s.name} names topic ${k}, which the contract does not define`);
  return t.topics.map((topic) => ({
    topic,
    producers: t.services.filter((s) => s.produces.includes(topic.key)).map((s) => s.name),
    consumers: t.services.filter((s) => s.consumes.includes(topic.key)).map((s) => s.name),
  }));
}

const serviceId = (name: string) => `svc_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
const topicId = (key: string) => `t_${key.replace(/[^A-Za-z0-9]/g, '_')}`;
const OUTSIDE = 'outside';

function mermaid(t: Topology, rows: readonly TopicRow[]): string[] {
  const inbound = rows.filter((r) => r.topic.direction === 'inbound');
  const lines = ['```mermaid', 'flowchart LR'];
  if (inbound.length > 0) lines.push(`  ${OUTSIDE}{{"outside the platform"}}`);
  for (const s of t.services) lines.push(`  ${serviceId(s.name)}(["${s.name}"])`);
  for (const r of rows) lines.push(`  ${topicId(r.topic.key)}["${r.topic.name}"]`);
  for (const r of rows) {
    const id = topicId(r.topic.key);
    // written from outside: the app backend, the shop's checkout, the chat client, upstream systems
    if (r.topic.direction === 'inbound') lines.push(`  ${OUTSIDE} -.-> ${id}`);
    for (const p of r.producers) lines.push(`  ${serviceId(p)} --> ${id}`);
    for (const c of r.consumers) lines.push(`  ${id} --> ${serviceId(c)}`);
  }
  lines.push(
    '  classDef service fill:#fff4d6,stroke:#b7791f',
    '  classDef inbound fill:#e3efff,stroke:#2b6cb0',
    '  classDef outbound fill:#e6f6ea,stroke:#2f855a',
    '  classDef external fill:#f2f2f2,stroke:#777,stroke-dasharray:4 3',
  );
  if (t.services.length > 0) lines.push(`  class ${t.services.map((s) => serviceId(s.name)).join(',')} service`);
  for (const direction of ['inbound', 'outbound'] as const) {
    const ids = rows.filter((r) => r.topic.direction === direction).map((r) => topicId(r.topic.key));
    if (ids.length > 0) lines.push(`  class ${ids.join(',')} ${direction}`);
  }
  if (inbound.length > 0) lines.push(`  class ${OUTSIDE} external`);
  lines.push('```');
  return lines;
}

/** A Markdown table with its columns padded, so the source reads as a table too. */
function table(header: readonly string[], body: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(3, h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
}

function ownershipTable(t: Topology, rows: readonly TopicRow[]): string[] {
  const intake = new Set(t.intake);
  return table(
    ['topic', 'contract key', 'producer', 'consumers', 'dead-letter topic'],
    rows.map((r) => {
      const producers = r.producers.map((p) => (intake.has(r.topic.key) && r.topic.direction === 'inbound' ? `${p} (front door)` : p));
      if (r.topic.direction === 'inbound') producers.unshift('outside');
      return [
        `\`${r.topic.name}\``,
        `\`${r.topic.key}\``,
        producers.join(', ') || 'none',
        r.consumers.join(', ') || 'none',
        r.topic.consumed ? `\`${dlqName(r.topic.name)}\`` : 'none (not consumed)',
      ];
    }),
  );
}

/**
 * The generated block of docs/architecture.md, markers included: a Mermaid flowchart of every
 * topic between its writers and readers, and the same as a table with the dead-letter topics.
 * Prettier leaves it as generated (the ignore range), so the check compares exact text.
 */
export function renderTopology(t: Topology): string {
  const rows = topicRows(t);
  return [
    TOPOLOGY_START,
    '',
    '<!-- prettier-ignore-start -->',
    '',
    '<!-- Generated from libs/contracts (ServiceTopics, PLATFORM_SERVICES, INTAKE_TOPICS, Topics) by `npm run docs:architecture`; do not edit by hand. -->',
    '',
    ...mermaid(t, rows),
    '',
    ...ownershipTable(t, rows),
    '',
    '<!-- prettier-ignore-end -->',
    '',
    TOPOLOGY_END,
  ].join('\n');
}

function blockBounds(doc: string): { start: number; end: number } {
  const start = doc.indexOf(TOPOLOGY_START);
  const endMarker = doc.indexOf(TOPOLOGY_END);
  if (start < 0 || endMarker < start) throw new Error(`no ${TOPOLOGY_START} ... ${TOPOLOGY_END} block found`);
  return { start, end: endMarker + TOPOLOGY_END.length };
}

/** The generated block as it stands in a document (markers included). */
export function currentTopology(doc: string): string {
  const { start, end } = blockBounds(doc);
  return doc.slice(start, end);
}

/** The document with its generated block replaced; the text around it is kept as it is. */
export function replaceTopology(doc: string, block: string): string {
  const { start, end } = blockBounds(doc);
  return doc.slice(0, start) + block + doc.slice(end);
}

function main(argv: readonly string[]): number {
  const block = renderTopology(contractsTopology());
  if (argv.includes('--write')) {
    const doc = readFileSync(ARCHITECTURE_DOC, 'utf8');
    const next = replaceTopology(doc, block);
    if (next !== doc) writeFileSync(ARCHITECTURE_DOC, next);
    console.log(`${path.relative(process.cwd(), ARCHITECTURE_DOC)}: topology ${next === doc ? 'already up to date' : 'rewritten'}`);
    return 0;
  }
  if (argv.includes('--check')) {
    if (currentTopology(readFileSync(ARCHITECTURE_DOC, 'utf8')) !== block) {
      console.error('docs/architecture.md: the topology block is stale: run npm run docs:architecture');
      return 1;
    }
    console.log('docs/architecture.md: the topology block matches the contracts');
    return 0;
  }
  console.log(block);
  return 0;
}

// Run as a script (tools/run.js sets argv[1] to this file), not when a spec imports it.
if (process.argv[1] === __filename) process.exitCode = main(process.argv.slice(2));
