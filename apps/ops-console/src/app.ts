import fs from 'node:fs';
import path from 'node:path';
import { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { authSecret } from '@platform/auth';
import type { ConsoleConfig } from './config';
import { ConsoleModule } from './console.module';
import { installSession } from './console/session';

const levels: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

/** apps/ops-console/public, from the sources (tools/run.js) or from dist/ (the image copies it next to the compiled code). */
export function defaultStaticDir(): string {
  const candidates = [path.resolve(__dirname, '..', 'public'), path.resolve(process.cwd(), 'apps', 'ops-console', 'public')];
  return candidates.find((d) => fs.existsSync(path.join(d, 'index.html'))) ?? (candidates[0] as string);
}

/** The ops console as a Nest app (used by main.ts and by tests). */
export async function createOpsConsoleApp(config: ConsoleConfig): Promise<INestApplication> {
  const app = await NestFactory.create(ConsoleModule.forRoot(config), {
    logger: levels.slice(0, levels.indexOf(config.LOG_LEVEL) + 1),
  });
  installSession(app, {
    secret: authSecret(config),
    staticDir: config.CONSOLE_STATIC_DIR ?? defaultStaticDir(),
    secureCookie: config.SESSION_COOKIE_SECURE,
  });
  app.enableShutdownHooks();
  return app;
}
