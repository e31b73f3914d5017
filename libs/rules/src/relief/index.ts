export * from './amount';
export * from './tier';
export * from './review';
