import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Headers,
  HttpException,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  Res,
  UnprocessableEntityException,
} from '@nestjs/common';
import type { Response } from 'express';
import { NamesAccount, Roles } from '@platform/auth';
import { claimRequested, externalId, formatZodError } from '@platform/contracts';
import { isTransientError } from '@platform/persistence';
import { ClaimIntakeService, ClaimStatus } from './claim-intake.service';

/** The body: the claim fields of compensation.claim.requested.v1; the eventId is the Idempotency-Key. */
const claimBody = claimRequested.omit({ eventId: true }).extend({ eventId: externalId.optional() });

const location = (eventId: string) => `/v1/claims/${encodeURIComponent(eventId)}`;

/**
 * The app backend's front door for claims. `POST /v1/claims` answers at once: 202 with
 * `Location` once the claim is durable (intake row + outbox row committed), the same again for a
 * retry, 200 with the decision once there is one, 422 for a key reused with another body, 429 with
 * `Retry-After` while the queue behind the door is over its bound. Never a timeout on purpose: a
 * client that times out retries, and retries are what a front door must not multiply.
 */
@Controller('v1/claims')
export class ClaimIntakeController {
  constructor(private readonly intake: ClaimIntakeService) {}

  @Post()
  @Roles('app-backend')
  @NamesAccount({ body: 'accountId' })
  async submit(
    @Headers('idempotency-key') key: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ClaimStatus | Record<string, unknown>> {
    if (key === undefined || !externalId.safeParse(key).success) {
      throw new BadRequestException({
        error: 'INVALID_IDEMPOTENCY_KEY',
        detail: 'header Idempotency-Key: 1-128 printable ASCII characters required (it becomes the claim eventId)',
      });
    }
    const parsed = claimBody.safeParse(body);
    if (!parsed.success) throw new BadRequestException({ error: 'INVALID_BODY', detail: formatZodError(parsed.error) });
    const { eventId, ...fields } = parsed.data;
    if (eventId !== undefined && eventId !== key) {
      throw new BadRequestException({ error: 'EVENT_ID_MISMATCH', detail: 'body eventId differs from the Idempotency-Key' });
    }
    let result;
    try {
      result = await this.intake.submit({
        eventId: key,
        campaignId: fields.campaignId,
        accountId: fields.accountId,
        talkLinked: fields.talkLinked,
        phoneNumber: fields.phoneNumber,
        makersMember: fields.makersMember,
        requestedAt: fields.requestedAt,
      });
    } catch (e) {
      // The database is overloaded or failing over (retried already): say so and when to come back,
      // rather than a bare 500; nothing was taken in unless a retry with this key finds it.
      if (!isTransientError(e)) throw e;
      res.setHeader('Retry-After', '2');
      throw new HttpException(
        { error: 'INTAKE_UNAVAILABLE', detail: 'the intake database is busy; retry with the same Idempotency-Key', retryAfterSeconds: 2 },
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
    switch (result.kind) {
      case 'TAKEN':
      case 'REPLAY':
        res.setHeader('Location', location(key));
        if (result.kind === 'REPLAY') res.setHeader('Idempotent-Replayed', 'true');
        res.status(result.status.status === 'PENDING' ? HttpStatus.ACCEPTED : HttpStatus.OK);
        return result.status;
      case 'CONFLICT':
        throw new UnprocessableEntityException({
          error: 'IDEMPOTENCY_KEY_REUSED',
          detail: 'this Idempotency-Key was already used for a different claim',
        });
      case 'BUSY':
        res.setHeader('Retry-After', String(result.retryAfterSeconds));
        throw new HttpException(
          {
            error: 'INTAKE_BUSY',
            detail: `${result.source} is over its bound; retry after ${result.retryAfterSeconds} s with the same Idempotency-Key`,
            retryAfterSeconds: result.retryAfterSeconds,
            source: result.source,
            backlog: result.backlog,
            bound: result.bound,
            drainPerSecond: Math.round(result.drainPerSecond * 10) / 10,
          },
          HttpStatus.TOO_MANY_REQUESTS,
        );
    }
  }

  /** By eventId, so the route names no account: the auth guard refuses account-bound tokens here. */
  @Get(':eventId')
  @Roles('app-backend', 'reader', 'ops')
  async status(@Param('eventId') eventId: string): Promise<ClaimStatus> {
    if (!externalId.safeParse(eventId).success) throw new BadRequestException({ error: 'INVALID_EVENT_ID' });
    const s = await this.intake.status(eventId);
    if (!s) throw new NotFoundException({ error: 'UNKNOWN_CLAIM', detail: `no claim with eventId ${eventId}` });
    const { accountId: _accountId, ...status } = s;
    return status;
  }
}
