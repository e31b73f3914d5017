import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { dlqName, Topics } from '@platform/contracts';
import { readDeadLetters, replayDeadLetters, SafePublisher } from '@platform/messaging';
import { createTestDatabase, createTestTopics, TestDatabase, testInfra, waitFor } from '@platform/testing';
import { claim, ClaimFeeder, createFixtureApp } from '@platform/messaging/testing';
import { toolKafka } from '@platform/tools-infra';

jest.setTimeout(120_000);
const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');

describe('dlq CLI: list, show, replay after fixing', () => {
  const { brokers } = testInfra();
  let db: TestDatabase;
  let prefix: string;
  let app: INestApplication | undefined;
  let pg: Client;
  let feeder: ClaimFeeder;
  const kafka = toolKafka({ profile: 'service', brokers, clientId: 'dlq-test' });

  beforeAll(async () => {
    db = await createTestDatabase('dlqcli');
    prefix = await createTestTopics('dlqcli');
    pg = new Client({ connectionString: db.url });
    pg.on('error', () => undefined);
    await pg.connect();
    feeder = new ClaimFeeder(brokers, prefix);
  });

  afterAll(async () => {
    await app?.close();
    await feeder?.close();
    await pg?.end();
    await db?.drop();
  });

  it('parks a failing message and a malformed one, lists them, and replays them once fixed', async () => {
    // A handler bug makes account "acct-poison" fail; a producer bug sends broken JSON.
    app = await createFixtureApp({ databaseUrl: db.url, brokers, prefix, poisonAccounts: ['acct-poison'] });
    await feeder.send([{ ...claim(1), accountId: 'acct-poison' }, '{"eventId": "ev-2", broken']);
    const dlq = prefix + dlqName(Topics.claimRequested.name);
    const parked = await waitFor('2 parked', async () => {
      const l = await readDeadLetters(kafka, dlq);
      return l.length === 2 ? l : null;
    });

    const env = { ...process.env, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC_PREFIX: prefix };
    const list = await run(process.execPath, ['tools/run.js', 'tools/cli/dlq.ts', 'list', '--json'], { cwd: root, env });
    const counts = (JSON.parse(list.stdout.trim().split('\n').pop() ?? '{}') as { topics: Record<string, number> }).topics;
    expect(counts[dlq]).toBe(2);
    const show = await run(process.execPath, ['tools/run.js', 'tools/cli/dlq.ts', 'show', Topics.claimRequested.name + '.dlq', '--json'], {
      cwd: root,
      env,
    });
    expect(show.stdout).toMatch(/HANDLER_ERROR: Error: poison acct-poison/);
    expect(show.stdout).toMatch(/MALFORMED_JSON/);
    // the parked claim's phone number is masked unless --reveal
    expect(show.stdout).not.toContain('010-1234-5678');
    expect(show.stdout).toContain('***-****-**78');
    const revealed = await run(
      process.execPath,
      ['tools/run.js', 'tools/cli/dlq.ts', 'show', Topics.claimRequested.name + '.dlq', '--json', '--reveal'],
      { cwd: root, env },
    );
    expect(revealed.stdout).toContain('010-1234-5678');

    // Fix the handler (redeploy without the bug) and the message (corrected JSON), then replay.
    await app.close();
    app = await createFixtureApp({ databaseUrl: db.url, brokers, prefix });
    const publisher = new SafePublisher(kafka);
    const poison = parked.find((l) => l.reason.startsWith('HANDLER_ERROR'));
    const broken = parked.find((l) => l.reason.startsWith('MALFORMED_JSON'));
    if (!poison || !broken) throw new Error('expected both letters');
    await replayDeadLetters(publisher, [poison], prefix);
    await replayDeadLetters(publisher, [broken], prefix, Buffer.from(JSON.stringify(claim(2))));
    await publisher.close();
    await waitFor('both applied', async () => {
      const r = await pg.query<{ event_id: string }>('SELECT event_id FROM fixture_effect ORDER BY event_id');
      return r.rows.map((x) => x.event_id).join(',') === 'ev-1,ev-2';
    });
    expect(await readDeadLetters(kafka, dlq)).toHaveLength(2); // nothing new was parked
  });
  it('keeps and replays hostile keys and headers byte for byte', async () => {
    app ??= await createFixtureApp({ databaseUrl: db.url, brokers, prefix });
    const dlq = prefix + dlqName(Topics.claimRequested.name);
    const before = (await readDeadLetters(kafka, dlq)).length;
    const key = Buffer.from([0x61, 0x00, 0xff, 0xfe]);
    const publisher = new SafePublisher(kafka);
    await publisher.publish([
      {
        topic: prefix + Topics.claimRequested.name,
        key,
        value: Buffer.from('{"eventId": nope'),
        headers: {},
        headerList: [
          ['x-bin', Buffer.from([0x00, 0xc3, 0x28])],
          ['x-dup', Buffer.from('1')],
          ['x-dup', Buffer.from('2')],
        ],
      },
    ]);
    const letter = await waitFor('parked', async () => (await readDeadLetters(kafka, dlq)).slice(before)[0] ?? null);
    expect(letter.rawKey?.equals(key)).toBe(true);
    expect(letter.originalHeaders.map(([k, v]) => [k, v?.toString('hex')])).toEqual([
      ['x-bin', '00c328'],
      ['x-dup', '31'],
      ['x-dup', '32'],
    ]);
    // replayed with a corrected value: the same key bytes, so the same partition and account
    await replayDeadLetters(publisher, [letter], prefix, Buffer.from(JSON.stringify(claim(3))));
    await publisher.close();
    await waitFor(
      'replayed claim applied',
      async () => (await pg.query(`SELECT 1 FROM fixture_effect WHERE event_id = 'ev-3'`)).rowCount === 1,
    );
  });
});
