export * from './claims';
export * from './coupons';
export * from './relief';
export * from './emoticons';
export * from './passes';
export * from './intake';
export * from './campaigns/heart-pack';
export * from './reminders';
