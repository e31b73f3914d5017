export const APP_API_CONFIG = Symbol('APP_API_CONFIG');
