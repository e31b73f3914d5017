export * from './setup';
export * from './metrics.controller';
