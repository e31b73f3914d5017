export * from './expiry-reminder';
