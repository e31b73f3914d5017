export const CLAIMS_CONFIG = Symbol('CLAIMS_CONFIG');
