export * from './claims';
export * from './coupons';
export * from './emoticons';
