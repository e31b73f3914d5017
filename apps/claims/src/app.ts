import { INestApplication } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { Clock, createServiceApp } from '@platform/messaging';
import { ClaimsModule } from './claims.module';
import { claimsDatabase, ClaimsConfig } from './config';

/** The claims service as a Nest app (used by main.ts and by tests; tests may read the log lines back). */
export function createClaimsApp(
  config: ClaimsConfig,
  opts: { clock?: Clock; logDestination?: DestinationStream } = {},
): Promise<INestApplication> {
  return createServiceApp(ClaimsModule.forRoot(config, opts), {
    serverUrl: config.DATABASE_URL,
    database: claimsDatabase(config),
    logLevel: config.LOG_LEVEL,
    service: 'claims',
    logDestination: opts.logDestination,
  });
}
