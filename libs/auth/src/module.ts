import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { PlatformEnv } from '@platform/config';
import { authSecret } from './key';
import { AUTH_SECRET, AuthGuard } from './guard';
import { CallerThrottlerGuard } from './throttle';

export type HttpAuthSettings = Pick<PlatformEnv, 'NODE_ENV' | 'AUTH_JWT_SECRET' | 'AUTH_JWT_SECRET_FILE' | 'HTTP_RATE_LIMIT_PER_MINUTE'>;

/**
 * The HTTP front door of a service: bearer-token authentication and roles on every route, then a
 * per-caller rate limit. Import it once in the service's root module. The signing key is resolved
 * here, at boot, so a production process with a missing or development key does not start.
 */
@Module({})
export class HttpAuthModule {
  static forRoot(config: HttpAuthSettings): DynamicModule {
    const secret = authSecret(config);
    const limit = config.HTTP_RATE_LIMIT_PER_MINUTE;
    return {
      module: HttpAuthModule,
      imports: [
        ThrottlerModule.forRoot({ throttlers: [{ name: 'default', ttl: 60_000, limit: Math.max(limit, 1) }], skipIf: () => limit === 0 }),
      ],
      providers: [
        { provide: AUTH_SECRET, useValue: secret },
        // Guards run in this order: who is it, then how often.
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: CallerThrottlerGuard },
      ],
    };
  }
}
