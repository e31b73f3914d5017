// The status table printed by `npm start` and `npm run status`.
import Table from 'cli-table3';
import type { ServiceStatus } from './services';

export function servicesTable(rows: ServiceStatus[]): string {
  const t = new Table({ head: ['service', 'url', 'healthy', 'pid', 'state'], style: { head: [], border: [] } });
  for (const r of rows) t.push([r.name, r.url, r.healthy ? 'yes' : 'no', r.pid ?? '-', r.state]);
  return t.toString();
}
