export * from './claims';
export * from './coupons';
