export * from './setup';
export * from './metrics.controller';
export * from './logging';
export * from './log-scrub';
export * from './otel-env';
export * from './openapi';
