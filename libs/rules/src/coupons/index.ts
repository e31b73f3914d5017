export * from './issuance';
export * from './redemption';
