import { applyDecorators, BadRequestException, Get, Param, PipeTransform } from '@nestjs/common';
import { NamesAccount, Roles } from '@platform/auth';
import { externalId } from '@platform/contracts';

/** The path parameter every account read names its account by. */
const ACCOUNT_PARAM = 'accountId';

/** An account id as other systems send it (externalId: printable ASCII, 1 to 128 characters), else 400 INVALID_ACCOUNT_ID. */
export class AccountIdPipe implements PipeTransform<string, string> {
  transform(accountId: string): string {
    if (!externalId.safeParse(accountId).success) throw new BadRequestException({ error: 'INVALID_ACCOUNT_ID' });
    return accountId;
  }
}

/**
 * `GET <controller>/:accountId`, one account's own view (its claims, coupons, packs, passes): for
 * the app backend on the account's behalf (an account-bound token must name its own account), for
 * readers and for ops. Take the id with `@AccountId()`.
 */
export const AccountRead = () =>
  applyDecorators(Get(`:${ACCOUNT_PARAM}`), Roles('reader', 'ops', 'app-backend'), NamesAccount({ param: ACCOUNT_PARAM }));

/** The account id of an `@AccountRead()` route, checked by AccountIdPipe (after the auth guard, before the handler). */
export const AccountId = (): ParameterDecorator => Param(ACCOUNT_PARAM, new AccountIdPipe());
