import { DynamicModule, INestApplication, Module, Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Clock, systemClock } from '../clock';
import { HealthController, MessagingHealthIndicator } from './health';
import { MessagingOptions, MessagingRuntime } from './runtime';
import { KafkaBatchServer } from './server';
import { SheddingController } from './shedding.controller';
import { SweepScheduler } from './sweep';
import { CLOCK, MESSAGING_OPTIONS } from './tokens';

@Module({})
export class MessagingModule {
  static forRoot(options: MessagingOptions, extra: { clock?: Clock; providers?: Provider[] } = {}): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController, SheddingController],
      providers: [
        { provide: MESSAGING_OPTIONS, useValue: options },
        { provide: CLOCK, useValue: extra.clock ?? systemClock },
        MessagingRuntime,
        MessagingHealthIndicator,
        SweepScheduler,
        ...(extra.providers ?? []),
      ],
      exports: [MessagingRuntime, SweepScheduler, CLOCK, MESSAGING_OPTIONS],
    };
  }
}

/** Connects the batch transport to a Nest app; call before `app.listen`. */
export async function startMessaging(app: INestApplication): Promise<void> {
  app.connectMicroservice({ strategy: new KafkaBatchServer(app.get(MessagingRuntime)) }, { inheritAppConfig: true });
  await app.startAllMicroservices();
}
