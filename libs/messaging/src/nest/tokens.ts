export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
export const CLOCK = Symbol('CLOCK');
