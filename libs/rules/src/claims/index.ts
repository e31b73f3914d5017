export * from './phone';
export * from './eligibility';
