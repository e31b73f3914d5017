import { INestApplication } from '@nestjs/common';
import { Clock, createServiceApp } from '@platform/messaging';
import { emoticonsDatabase, EmoticonsConfig } from './config';
import { EmoticonsModule } from './emoticons.module';

/** The emoticon entitlement service as a Nest app (used by main.ts and by tests). */
export function createEmoticonsApp(config: EmoticonsConfig, opts: { clock?: Clock } = {}): Promise<INestApplication> {
  return createServiceApp(EmoticonsModule.forRoot(config, opts), {
    serverUrl: config.DATABASE_URL,
    database: emoticonsDatabase(config),
    logLevel: config.LOG_LEVEL,
    service: 'emoticons',
  });
}
