export * from './phone';
export * from './eligibility';
export * from './phone-mask';
export * from './one-per-person';
