export * from './env';
export * from './database';
export * from './kafka';
export * from './wait';
export * from './tcp-proxy';
export * from './process';
