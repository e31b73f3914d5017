import { INestApplication } from '@nestjs/common';
import { Clock, createServiceApp } from '@platform/messaging';
import { couponsDatabase, CouponsConfig } from './config';
import { CouponsModule } from './coupons.module';

/** The coupon service as a Nest app (used by main.ts and by tests). */
export function createCouponsApp(config: CouponsConfig, opts: { clock?: Clock } = {}): Promise<INestApplication> {
  return createServiceApp(CouponsModule.forRoot(config, opts), {
    serverUrl: config.DATABASE_URL,
    database: couponsDatabase(config),
    logLevel: config.LOG_LEVEL,
    service: 'coupons',
  });
}
