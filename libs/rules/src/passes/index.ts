export * from './reservation';
export * from './eta';
export * from './delay-notice';
export * from './registration';
