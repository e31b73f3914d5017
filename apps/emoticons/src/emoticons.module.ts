import { DynamicModule, Module } from '@nestjs/common';
import { HttpAuthModule } from '@platform/auth';
import { Clock, messagingMigrations, serviceInfrastructure } from '@platform/messaging';
import { MetricsController } from '@platform/telemetry';
import { emoticonsDatabase, EmoticonsConfig } from './config';
import { DownloadHandler } from './entitlements/download.handler';
import { EntitlementRepository } from './entitlements/entitlement.repository';
import { EntitlementsController } from './entitlements/entitlements.controller';
import { ExpirySweep } from './entitlements/expiry.sweep';
import { CampaignDefinitionHandler } from './entitlements/campaign-definition.handler';
import { GrantHandler } from './entitlements/grant.handler';
import { EmoticonsSchema1764300000100 } from './migrations/1764300000100-EmoticonsSchema';
import { EntitlementExpiryReminders1765000000200 } from './migrations/1765000000200-EntitlementExpiryReminders';
import { EMOTICONS_CONFIG } from './tokens';

export const emoticonsMigrations = [...messagingMigrations, EmoticonsSchema1764300000100, EntitlementExpiryReminders1765000000200];

@Module({})
export class EmoticonsModule {
  static forRoot(config: EmoticonsConfig, opts: { clock?: Clock } = {}): DynamicModule {
    return {
      module: EmoticonsModule,
      imports: [
        ...serviceInfrastructure({
          service: 'emoticons',
          config,
          database: emoticonsDatabase(config),
          migrations: emoticonsMigrations,
          clock: opts.clock,
        }),
        HttpAuthModule.forRoot(config),
      ],
      controllers: [CampaignDefinitionHandler, GrantHandler, DownloadHandler, EntitlementsController, MetricsController],
      providers: [{ provide: EMOTICONS_CONFIG, useValue: config }, EntitlementRepository, ExpirySweep],
    };
  }
}
