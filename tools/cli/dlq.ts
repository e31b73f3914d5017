// Ops CLI for dead-letter topics: what was parked, why, and sending it back once fixed.
//   npm run dlq -- list
//   npm run dlq -- show compensation.claim.requested.v1.dlq [--limit 20] [--json] [--reveal]
//   npm run dlq -- replay compensation.claim.requested.v1.dlq --partition 0 --offset 12 [--value-file fixed.json]
//   npm run dlq -- replay compensation.claim.requested.v1.dlq --all [--reason-match SCHEMA] [--dry-run]
import { Command } from 'commander';
import { cliTable } from '@platform/tools-ops';
import { readFileSync } from 'node:fs';
import { kafkaSecurityEnv, loadConfig, platformEnv } from '@platform/config';
import { countDeadLetters, deadLetterTopics, readDeadLetters, replayDeadLetters, SafePublisher } from '@platform/messaging';
import { localClusterSecurity, toolKafka } from '@platform/tools-infra';
import { maskDeadLetterValue, maskPhoneNumbersInText } from '@platform/rules';

// SASL/TLS from KAFKA_SECURITY_PROTOCOL & co.; against this checkout's secured cluster the ops principal by default
const env = loadConfig(platformEnv.pick({ KAFKA_BROKERS: true, KAFKA_TOPIC_PREFIX: true }).extend(kafkaSecurityEnv.shape));
const kafka = toolKafka({
  profile: 'service',
  brokers: env.KAFKA_BROKERS,
  clientId: 'dlq-cli',
  security: env.KAFKA_SECURITY_PROTOCOL !== 'PLAINTEXT' ? env : localClusterSecurity(env.KAFKA_BROKERS, 'ops'),
});
const prefix = env.KAFKA_TOPIC_PREFIX;
const program = new Command().name('dlq').description('Inspect and replay dead-letter topics');

const full = (t: string) => (prefix && !t.startsWith(prefix) ? prefix + t : t);

program
  .command('list')
  .description('message count of every dead-letter topic')
  .option('--json', 'machine-readable output')
  .action(async (o: { json?: boolean }) => {
    const counts = await countDeadLetters(kafka, deadLetterTopics(prefix));
    if (o.json) return console.log(JSON.stringify({ topics: Object.fromEntries(counts) }));
    const t = cliTable({ head: ['dead-letter topic', 'messages'] });
    for (const [topic, n] of counts) t.push([topic, n]);
    console.log(t.toString());
  });

program
  .command('show <topic>')
  .description('the parked messages of one DLQ topic with reason and source')
  .option('--limit <n>', 'at most this many', (v) => Number(v), 50)
  .option('--json', 'one JSON object per line, value included')
  .option('--reveal', 'show phone numbers unmasked (personal data: only when the raw value is needed to fix the message)')
  .action(async (topic: string, o: { limit: number; json?: boolean; reveal?: boolean }) => {
    const raw = await readDeadLetters(kafka, full(topic), o.limit);
    // values and reasons (a handler error may quote the input) with phone numbers masked unless --reveal
    const letters = raw.map((l) => ({
      ...l,
      reason: o.reveal ? l.reason : maskPhoneNumbersInText(l.reason),
      text: o.reveal ? l.value.toString('utf8') : maskDeadLetterValue(l.value.toString('utf8')),
    }));
    if (o.reveal) console.error('[dlq] --reveal: phone numbers shown unmasked');
    if (o.json) {
      for (const { text, rawKey, originalHeaders: _exact, ...l } of letters)
        console.log(JSON.stringify({ ...l, keyBase64: rawKey?.toString('base64') ?? null, value: text }));
      return;
    }
    const t = cliTable({ head: ['partition:offset', 'source', 'reason', 'value (start)'], colWidths: [18, 48, 60, 40], wordWrap: true });
    for (const l of letters) {
      t.push([`${l.partition}:${l.offset}`, `${l.source.topic}[${l.source.partition}]@${l.source.offset}`, l.reason, l.text.slice(0, 120)]);
    }
    console.log(t.toString());
    console.log(`${letters.length} message(s)`);
  });

program
  .command('replay <topic>')
  .description('send parked messages back to their source topic')
  .option('--partition <p>', 'partition of the message to replay', (v) => Number(v))
  .option('--offset <o>', 'offset of the message to replay')
  .option('--all', 'replay every message of the topic')
  .option('--reason-match <regex>', 'with --all: only messages whose reason matches')
  .option('--value-file <file>', 'replace the value (a corrected message) when replaying one message')
  .option('--dry-run', 'show what would be replayed')
  .action(
    async (
      topic: string,
      o: { partition?: number; offset?: string; all?: boolean; reasonMatch?: string; valueFile?: string; dryRun?: boolean },
    ) => {
      if (!o.all && (o.partition === undefined || o.offset === undefined)) throw new Error('give --partition and --offset, or --all');
      if (o.all && o.valueFile) throw new Error('--value-file replaces one message; use it with --partition/--offset');
      let letters = await readDeadLetters(kafka, full(topic));
      if (!o.all) letters = letters.filter((l) => l.partition === o.partition && l.offset === o.offset);
      if (o.reasonMatch) letters = letters.filter((l) => new RegExp(o.reasonMatch ?? '').test(l.reason));
      if (letters.length === 0) throw new Error('nothing matched');
      const value = o.valueFile ? readFileSync(o.valueFile) : undefined;
      if (o.dryRun) {
        for (const l of letters) console.log(`would replay ${l.partition}:${l.offset} -> ${prefix}${l.source.topic} (${l.reason})`);
        return;
      }
      const publisher = new SafePublisher(kafka);
      const n = await replayDeadLetters(publisher, letters, prefix, value);
      await publisher.close();
      console.log(`replayed ${n} message(s) to their source topic`);
    },
  );

program.parseAsync().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`dlq: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
