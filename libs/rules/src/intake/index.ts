export * from './admission';
export * from './gift-pack';
export * from './convergence';
