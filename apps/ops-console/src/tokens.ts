export const CONSOLE_CONFIG = Symbol('CONSOLE_CONFIG');
/** The console's own `reader` token for sampling the services. */
export const CONSOLE_SERVICE_TOKEN = Symbol('CONSOLE_SERVICE_TOKEN');
