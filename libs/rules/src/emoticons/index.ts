export * from './entitlement-clock';
