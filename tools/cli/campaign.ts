// Ops CLI for campaigns (the claims service owns them):
//   npm run campaign -- create --file campaign.json [--url http://127.0.0.1:3001]
//   npm run campaign -- list [--json]
//   npm run campaign -- template [--id my-campaign] [--hours 24]   (prints a definition around now)
import { Command } from 'commander';
import { cliTable, toolBearer } from '@platform/tools-ops';
import { readFileSync } from 'node:fs';
import { CampaignDefinition, campaignDefinition, formatZodError } from '@platform/contracts';
import { campaignAround } from '@platform/rules';

const program = new Command().name('campaign').description('Define and list compensation campaigns');
const defaultUrl = 'http://127.0.0.1:3001';

program
  .command('create')
  .requiredOption('--file <file>', 'campaign definition (JSON)')
  .option('--url <url>', 'claims service base URL', defaultUrl)
  .action(async (o: { file: string; url: string }) => {
    const body: unknown = JSON.parse(readFileSync(o.file, 'utf8'));
    // Validate here too, so a typo is explained before anything is sent.
    const parsed = campaignDefinition.safeParse(body);
    if (!parsed.success) throw new Error(`invalid campaign definition: ${formatZodError(parsed.error)}`);
    const res = await fetch(`${o.url}/campaigns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await toolBearer('ops')) },
      body: JSON.stringify(parsed.data),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`claims service answered ${res.status}: ${text}`);
    console.log(`created campaign ${parsed.data.campaignId}`);
  });

program
  .command('list')
  .option('--url <url>', 'claims service base URL', defaultUrl)
  .option('--json', 'machine-readable output')
  .action(async (o: { url: string; json?: boolean }) => {
    const res = await fetch(`${o.url}/campaigns`, { headers: await toolBearer('reader') });
    if (!res.ok) throw new Error(`claims service answered ${res.status}`);
    const { campaigns } = (await res.json()) as { campaigns: CampaignDefinition[] };
    if (o.json) return console.log(JSON.stringify({ campaigns }));
    const t = cliTable({ head: ['campaign', 'opens', 'closes', 'emoticons', 'coupons', 'pass cap'] });
    for (const c of campaigns) {
      t.push([
        c.campaignId,
        c.opensAt,
        c.closesAt,
        c.rewards.emoticons.length,
        c.rewards.coupons?.amountsWon.join('+') ?? '-',
        c.rewards.pass?.cap ?? '-',
      ]);
    }
    console.log(t.toString());
  });

program
  .command('template')
  .description('print a campaign definition whose window is around now (for demos and load tests)')
  .option('--id <id>', 'campaign id', `demo-${new Date().toISOString().slice(0, 10)}`)
  .option('--hours <h>', 'window half-width in hours', (v) => Number(v), 24)
  .option('--pass-cap <n>', 'pass cap', (v) => Number(v), 3_000_000)
  .option('--no-one-per-person', 'let one person (phone number) claim with several accounts (the 2023 campaign does not)')
  .action((o: { id: string; hours: number; passCap: number; onePerPerson: boolean }) => {
    const now = Date.now();
    const def: CampaignDefinition = campaignAround(now, {
      campaignId: o.id,
      name: `Demo campaign ${o.id}`,
      openedMsAgo: o.hours * 3600_000,
      closesInMs: o.hours * 3600_000,
      pass: { cap: o.passCap },
      onePerPerson: o.onePerPerson,
    });
    console.log(JSON.stringify(def, null, 2));
  });

program.parseAsync().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`campaign: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
