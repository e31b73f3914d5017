/**
 * Why an eligible claim cannot be the accepted one (R2 and one gift per person): the account
 * already has an accepted claim in the campaign (DUPLICATE, the stronger reason: a repeat by the
 * same user), or, when the campaign has `onePerPerson`, another account with the same phone key
 * does (DUPLICATE_PERSON). Null: nothing stands in its way.
 */
export function secondClaimReason(o: {
  accountHasAccepted: boolean;
  personHasAccepted: boolean;
  onePerPerson: boolean;
}): 'DUPLICATE' | 'DUPLICATE_PERSON' | null {
  if (o.accountHasAccepted) return 'DUPLICATE';
  if (o.onePerPerson && o.personHasAccepted) return 'DUPLICATE_PERSON';
  return null;
}
