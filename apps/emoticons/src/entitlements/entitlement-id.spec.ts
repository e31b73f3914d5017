import { entitlementIdFor } from './entitlement-id';

describe('entitlementIdFor', () => {
  it('is deterministic and UUID-shaped', () => {
    const a = entitlementIdFor('claim-1', 'broken-bear');
    expect(a).toBe(entitlementIdFor('claim-1', 'broken-bear'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('differs per claim and per pack, without ambiguity between the parts', () => {
    const ids = [
      entitlementIdFor('claim-1', 'broken-bear'),
      entitlementIdFor('claim-2', 'broken-bear'),
      entitlementIdFor('claim-1', 'tosimi-tomungi'),
      entitlementIdFor('a:b', 'c'),
      entitlementIdFor('a', 'b:c'),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });
});
