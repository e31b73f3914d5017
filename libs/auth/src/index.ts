export * from './principal';
export * from './key';
export * from './token';
export * from './service-token';
export * from './decorators';
export * from './guard';
export * from './throttle';
export * from './module';
export { SkipThrottle } from '@nestjs/throttler';
