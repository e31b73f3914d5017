import type { PlatformService } from './ownership';

/**
 * What must keep flowing when capacity is short (issue 17, the pledge's "service priorities"):
 * claim decisions and emoticon grants are what 40+ million users see first; the app backend's
 * front door must answer. Coupons (30 days to use), pass dispatch (three days before a delay
 * notice is due) and merchant relief (reviewed over weeks) can wait minutes without harm.
 */
export type ServicePriority = 'critical' | 'sheddable';

export const SERVICE_PRIORITIES: Readonly<Record<PlatformService, ServicePriority>> = {
  claims: 'critical',
  emoticons: 'critical',
  'app-api': 'critical',
  coupons: 'sheddable',
  'pass-dispatcher': 'sheddable',
  'merchant-relief': 'sheddable',
};

/** The priority of a service by name; anything not in the catalogue (tests, tools) is critical. */
export function servicePriority(service: string): ServicePriority {
  return (SERVICE_PRIORITIES as Record<string, ServicePriority | undefined>)[service] ?? 'critical';
}
