import { BadRequestException } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { ACCOUNT_KEY, ROLES_KEY } from '@platform/auth';
import { AccountId, AccountIdPipe, AccountRead } from './account-route';

class Reads {
  @AccountRead()
  byAccount(@AccountId() accountId: string): string {
    return accountId;
  }
}

describe('account reads', () => {
  const pipe = new AccountIdPipe();

  it.each(['user-1', 'a', 'x'.repeat(128), '!~'])('takes %p as an account id', (id) => {
    expect(pipe.transform(id)).toBe(id);
  });

  it.each(['', 'has space', 'x'.repeat(129), 'tab\there', 'caf\u00e9'])('answers %p with 400 INVALID_ACCOUNT_ID', (id) => {
    const refusal = ((): unknown => {
      try {
        return pipe.transform(id);
      } catch (e) {
        return e;
      }
    })();
    expect(refusal).toBeInstanceOf(BadRequestException);
    expect((refusal as BadRequestException).getResponse()).toEqual({ error: 'INVALID_ACCOUNT_ID' });
  });

  it('routes GET :accountId for the app backend, readers and ops, naming the account by that parameter', () => {
    const handler = Object.getOwnPropertyDescriptor(Reads.prototype, 'byAccount')?.value as object;
    expect(Reflect.getMetadata(PATH_METADATA, handler)).toBe(':accountId');
    expect(Reflect.getMetadata(ROLES_KEY, handler)).toEqual(['reader', 'ops', 'app-backend']);
    expect(Reflect.getMetadata(ACCOUNT_KEY, handler)).toEqual({ param: 'accountId' });
  });
});
