// `npm run loadgen -- [options]`: publishes a realistic, seeded mix of claim requests (and optional
// follow-ups and merchant reports) at a target rate, measures the platform's answers end to end,
// prints a summary (or one JSON object with --json) and optionally writes an HTML report.
// Exit code: 0 when every expected answer was observed, 1 on a mismatch, 2 on an error.
import { Logger, LoggerService } from '@nestjs/common';
import { Command, InvalidArgumentError } from 'commander';
import { CLEAN_MIX, DEFAULT_MIX, parseMix } from './mix';
import { progressReporter } from './progress';
import { jsonSummary, summaryTable, writeHtmlReport } from './report';
import { DEFAULT_LOAD_OPTIONS, LoadOptions, runLoad } from './run';
import { runStorm, stormTable } from './storm';

/** Library warnings (kafkajs through Nest's logger) go to stderr, so stdout stays clean for --json. */
class StderrLogger implements LoggerService {
  log(): void {
    // informational library logs are dropped
  }
  error(message: unknown, ...rest: unknown[]): void {
    process.stderr.write(`[loadgen] error ${String(message)} ${rest.map(String).join(' ')}\n`);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    process.stderr.write(`[loadgen] warn ${String(message)} ${rest.map(String).join(' ')}\n`);
  }
}

const int =
  (name: string, min = 0) =>
  (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
const share = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`${name} must be a share between 0 and 1`);
  return n;
};

async function main(): Promise<void> {
  const o = new Command('loadgen')
    .description('Publish a seeded claim mix to Kafka and measure the platform end to end')
    .option('--claims <n>', 'claim messages to send (all kinds; default 10000 unless --duration)', int('--claims', 1))
    .option('--duration <s>', 'send for this many seconds', int('--duration', 1))
    .option('--rate <r>', 'claim messages per second, 0 = as fast as possible', int('--rate'), 0)
    .option('--seed <s>', 'PRNG seed: the same seed sends the same mix', int('--seed'), 1)
    .option('--run-id <id>', 'id used in every event, account and merchant id (default <seed>-<time>)')
    .option('--campaign <id>', 'claim against this existing campaign (default: create a fresh one)')
    .option('--pass-cap <n>', 'pass cap of a freshly created campaign', int('--pass-cap'), DEFAULT_LOAD_OPTIONS.passCap)
    .option('--window <mode>', 'fresh campaign window: recent (closed 5 min ago: late taps are CAMPAIGN_CLOSED) or open', 'recent')
    .option(
      '--delay-notice-after <s>',
      "fresh campaign's pass delay-notice threshold in seconds (default 72 h)",
      int('--delay-notice-after', 1),
    )
    .option('--mix <k=w,...>', `claim mix weights (kinds: ${Object.keys(DEFAULT_MIX).join(', ')})`)
    .option('--clean', 'only unique eligible claims (start the mix from zero weights)')
    .option(
      '--makers-share <p>',
      'share of eligible claimants who are Kakao Makers members',
      share('--makers-share'),
      DEFAULT_LOAD_OPTIONS.makersShare,
    )
    .option(
      '--trace-share <p>',
      'share of messages with a sampled traceparent',
      share('--trace-share'),
      DEFAULT_LOAD_OPTIONS.traceSampleShare,
    )
    .option('--downloads <p>', 'share of granted packs downloaded (emoticon.downloaded.v1)', share('--downloads'), 0)
    .option('--redemptions <p>', 'share of issued coupons redeemed (coupon.redemption.requested.v1)', share('--redemptions'), 0)
    .option(
      '--registrations <p>',
      'share of sent passes registered (talkdrawer.pass.registration.requested.v1)',
      share('--registrations'),
      0,
    )
    .option('--merchants <n>', 'merchant damage reports to send (merchant.damage.reported.v1)', int('--merchants'), 0)
    .option('--reviews', 'answer committee reviews for merchants referred to REVIEW')
    .option('--drain-timeout <s>', 'seconds to wait for answers after sending', int('--drain-timeout'), DEFAULT_LOAD_OPTIONS.drainTimeoutS)
    .option('--settle <s>', 'stop waiting after this many seconds without any answer', int('--settle', 1), DEFAULT_LOAD_OPTIONS.settleS)
    .option('--batch <n>', 'largest publish call', int('--batch', 1), DEFAULT_LOAD_OPTIONS.batchSize)
    .option(
      '--max-in-flight <n>',
      'closed loop: pause while more claims than this await a decision (0: open loop)',
      int('--max-in-flight'),
      0,
    )
    .option('--brokers <list>', 'Kafka brokers', process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
    .option('--prefix <prefix>', 'topic prefix (as the services KAFKA_TOPIC_PREFIX)', process.env.KAFKA_TOPIC_PREFIX ?? '')
    .option('--claims-url <url>', 'claims service', 'http://127.0.0.1:3001')
    .option('--skew-tolerance <s>', "the claims service's CLAIM_SKEW_TOLERANCE_SECONDS", int('--skew-tolerance'), 300)
    .option(
      '--storm <n>',
      'retry-storm mode: every claim through the app-api front door (HTTP), sent n times with jitter',
      int('--storm', 1),
    )
    .option('--api-url <url>', 'app-api (storm mode)', 'http://127.0.0.1:3006')
    .option('--concurrency <n>', 'requests in flight at most (storm mode)', int('--concurrency', 1), 64)
    .option('--client-timeout <ms>', "the simulated client's timeout per attempt (storm mode)", int('--client-timeout', 1), 10_000)
    .option('--json', 'print one JSON object instead of the table (progress goes to stderr)')
    .option('--report <file.html>', 'write a self-contained HTML report with charts')
    .parse(process.argv)
    .opts<{
      claims?: number;
      duration?: number;
      rate: number;
      seed: number;
      runId?: string;
      campaign?: string;
      passCap: number;
      window: string;
      delayNoticeAfter?: number;
      mix?: string;
      clean?: boolean;
      makersShare: number;
      traceShare: number;
      downloads: number;
      redemptions: number;
      registrations: number;
      merchants: number;
      reviews?: boolean;
      drainTimeout: number;
      settle: number;
      batch: number;
      maxInFlight: number;
      brokers: string;
      prefix: string;
      claimsUrl: string;
      skewTolerance: number;
      json?: boolean;
      report?: string;
      storm?: number;
      apiUrl: string;
      concurrency: number;
      clientTimeout: number;
    }>();
  if (o.window !== 'recent' && o.window !== 'open') throw new Error('--window must be recent or open');
  Logger.overrideLogger(new StderrLogger());
  const brokers = o.brokers
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (o.storm !== undefined) {
    const r = await runStorm({
      apiUrl: o.apiUrl.replace(/\/$/, ''),
      claimsUrl: o.claimsUrl.replace(/\/$/, ''),
      brokers,
      prefix: o.prefix,
      claims: o.claims ?? 2000,
      storm: o.storm,
      concurrency: o.concurrency,
      seed: o.seed,
      runId: o.runId,
      campaignId: o.campaign,
      clientTimeoutMs: o.clientTimeout,
      drainTimeoutS: o.drainTimeout,
      onProgress: (line) => process.stderr.write(`${line}\n`),
    });
    if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else console.log(stormTable(r));
    process.exitCode = r.ok ? 0 : 1;
    return;
  }
  const progress = progressReporter(o.json ?? false);
  const options: LoadOptions = {
    ...DEFAULT_LOAD_OPTIONS,
    brokers: o.brokers
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    prefix: o.prefix,
    claimsUrl: o.claimsUrl.replace(/\/$/, ''),
    campaignId: o.campaign,
    passCap: o.passCap,
    window: o.window,
    delayNoticeAfterSeconds: o.delayNoticeAfter,
    claims: o.claims ?? (o.duration ? undefined : 10_000),
    durationS: o.duration,
    rate: o.rate,
    seed: o.seed,
    runId: o.runId,
    mix: o.mix ? parseMix(o.mix, o.clean ? CLEAN_MIX : DEFAULT_MIX) : o.clean ? CLEAN_MIX : DEFAULT_MIX,
    makersShare: o.makersShare,
    traceSampleShare: o.traceShare,
    downloads: o.downloads,
    redemptions: o.redemptions,
    registrations: o.registrations,
    merchants: o.merchants,
    reviews: o.reviews ?? false,
    drainTimeoutS: o.drainTimeout,
    settleS: o.settle,
    batchSize: o.batch,
    maxInFlight: o.maxInFlight,
    skewToleranceMs: o.skewTolerance * 1000,
    onProgress: progress.update,
  };
  let result;
  try {
    result = await runLoad(options);
  } finally {
    progress.stop();
  }
  if (o.json) process.stdout.write(`${JSON.stringify(jsonSummary(result))}\n`);
  else console.log(summaryTable(result));
  if (o.report) {
    const file = writeHtmlReport(result, o.report);
    process.stderr.write(`[loadgen] report written to ${file}\n`);
  }
  process.exitCode = result.ok ? 0 : 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`[loadgen] ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(2);
});
