export const RELIEF_CONFIG = Symbol('RELIEF_CONFIG');
