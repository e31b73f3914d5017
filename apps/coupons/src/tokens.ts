export const COUPONS_CONFIG = Symbol('COUPONS_CONFIG');
