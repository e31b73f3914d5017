import { DynamicModule, Module } from '@nestjs/common';
import { HttpAuthModule } from '@platform/auth';
import { Clock, messagingMigrations, serviceInfrastructure } from '@platform/messaging';
import { MetricsController } from '@platform/telemetry';
import { couponsDatabase, CouponsConfig } from './config';
import { CampaignRewardRepository } from './coupons/campaign-reward.repository';
import { CampaignDefinitionHandler } from './coupons/campaign-definition.handler';
import { CouponIssueHandler } from './coupons/coupon-issue.handler';
import { CouponRepository } from './coupons/coupon.repository';
import { CouponsController } from './coupons/coupons.controller';
import { ExpirySweep } from './coupons/expiry.sweep';
import { CouponsSchema1764300003000 } from './migrations/1764300003000-CouponsSchema';
import { CampaignRewards1764300003100 } from './migrations/1764300003100-CampaignRewards';
import { HonourTimelyRedemptions1764800003200 } from './migrations/1764800003200-HonourTimelyRedemptions';
import { CouponExpiryReminders1765000003300 } from './migrations/1765000003300-CouponExpiryReminders';
import { RedemptionHandler } from './redemptions/redemption.handler';
import { RedemptionController } from './redemptions/redemption.controller';
import { RedemptionRepository } from './redemptions/redemption.repository';
import { RedemptionService } from './redemptions/redemption.service';
import { COUPONS_CONFIG } from './tokens';

export const couponsMigrations = [
  ...messagingMigrations,
  CouponsSchema1764300003000,
  CampaignRewards1764300003100,
  HonourTimelyRedemptions1764800003200,
  CouponExpiryReminders1765000003300,
];

@Module({})
export class CouponsModule {
  static forRoot(config: CouponsConfig, opts: { clock?: Clock } = {}): DynamicModule {
    return {
      module: CouponsModule,
      imports: [
        ...serviceInfrastructure({
          service: 'coupons',
          config,
          database: couponsDatabase(config),
          migrations: couponsMigrations,
          clock: opts.clock,
        }),
        HttpAuthModule.forRoot(config),
      ],
      controllers: [
        CampaignDefinitionHandler,
        CouponIssueHandler,
        RedemptionHandler,
        RedemptionController,
        CouponsController,
        MetricsController,
      ],
      providers: [
        { provide: COUPONS_CONFIG, useValue: config },
        CouponRepository,
        CampaignRewardRepository,
        RedemptionRepository,
        RedemptionService,
        ExpirySweep,
      ],
    };
  }
}
