export * from './database';
export * from './transient';
export * from './data-source';
