// Progress while a load runs: a cli-progress bar (rate, ETA, decisions) when stdout is a terminal,
// else (CI, pipes, --json) a plain line on stderr every 5 s.
import { SingleBar } from 'cli-progress';
import type { Progress } from './run';

export function progressReporter(json: boolean): { update: (p: Progress) => void; stop: () => void } {
  const tty = process.stdout.isTTY && !json;
  if (tty) {
    const bar = new SingleBar({
      format: ' {phase} [{bar}] {percentage}% | {value}/{total} claims | {rate}/s | decided {decided}/{expected} | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
    });
    let started = false;
    return {
      update: (p) => {
        // A duration run counts seconds instead of claims.
        const total = p.total ?? Math.max(1, Math.round(p.durationS ?? 1));
        const value = p.total === null ? Math.min(total, Math.round(p.elapsedS)) : p.sent;
        const payload = { phase: p.phase, rate: Math.round(p.sendRate), decided: p.decided, expected: p.expectedDecisions };
        if (!started) {
          bar.start(total, value, payload);
          started = true;
        } else bar.update(p.phase === 'drain' ? total : value, payload);
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  // Not a terminal (CI, pipes) or --json: a plain line every 5 s, on stderr.
  let last = 0;
  return {
    update: (p) => {
      const now = Date.now();
      if (now - last < 5000) return;
      last = now;
      const of = p.total === null ? `${p.elapsedS.toFixed(0)}/${p.durationS ?? '?'} s` : `${p.sent}/${p.total}`;
      process.stderr.write(
        `[loadgen] ${p.phase} ${of}, sent ${p.sent} at ${Math.round(p.sendRate)}/s, decided ${p.decided}/${p.expectedDecisions}\n`,
      );
    },
    stop: () => undefined,
  };
}
