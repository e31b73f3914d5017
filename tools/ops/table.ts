// Tables printed by the CLIs: colour only on a terminal, so pipes, files and CI logs get plain text.
import Table from 'cli-table3';
import type { ServiceStatus } from './services';

/** True when stdout is a terminal that wants colour (NO_COLOR and FORCE_COLOR=0 turn it off). */
export function colourWanted(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR && process.env.FORCE_COLOR !== '0';
}

/** A cli-table3 table whose header and border colours are dropped unless stdout is a terminal. */
export function cliTable(options: Table.TableConstructorOptions = {}): Table.Table {
  if (colourWanted()) return new Table(options);
  return new Table({ ...options, style: { ...options.style, head: [], border: [] } });
}

export function servicesTable(rows: ServiceStatus[]): string {
  const t = cliTable({ head: ['service', 'url', 'healthy', 'pid', 'state'] });
  for (const r of rows) t.push([r.name, r.url, r.healthy ? 'yes' : 'no', r.pid ?? '-', r.state]);
  return t.toString();
}
