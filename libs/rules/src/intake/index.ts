export * from './admission';
export * from './gift-pack';
