import { Inject } from '@nestjs/common';
import { PayloadOf, TopicKey, WaitReason } from '@platform/contracts';
import { InboundMessage, TxContext } from '@platform/messaging';
import type { ReliefConfig } from '../config';
import { RequestFingerprintRepository, RequestKind } from '../fingerprints/request-fingerprint.repository';
import { RELIEF_CONFIG } from '../tokens';
import { WaitingRepository } from '../waiting/waiting.repository';
import { unanswered } from './answer.repository';

/** One chunk of inbound events as its handler starts answering it. */
export interface AnswerRound<T, A, L> {
  /** The chunk without the messages that reused an eventId for another body (parked). */
  messages: InboundMessage<T>[];
  /** The answers stored for these events so far; the handler adds the ones it gives. */
  answers: Map<string, A>;
  /** The first message of each event not answered yet, in offset order. */
  fresh: Map<string, InboundMessage<T>>;
  /** What `lock` returned. */
  locked: L;
  /** The request, in a few words ('damage report'). */
  what: string;
}

/**
 * What the relief event handlers (reports, committee decisions, evidence) do alike: one answer per
 * event, ever; reports and decisions also wait, within a bound, for what they depend on (the
 * campaign, the merchant's report). The shared collaborators are property-injected, so each
 * handler's constructor names only its own repositories.
 */
export abstract class AnsweringHandler {
  @Inject(RequestFingerprintRepository) protected readonly fingerprints!: RequestFingerprintRepository;
  @Inject(WaitingRepository) protected readonly waiting!: WaitingRepository;
  @Inject(RELIEF_CONFIG) protected readonly config!: ReliefConfig;

  /**
   * Opens a chunk of `kind` (`what` names its request in a DLQ reason): the same eventId with another
   * body is not a retry, so it is parked, never answered as the first one; then `lock` (when given)
   * runs before the stored answers are read, so a transaction that waited for a lock sees the answer
   * of the one that held it. Null when nothing is left to answer.
   */
  protected async open<T extends { eventId: string }, A, L = undefined>(
    ctx: TxContext,
    kind: RequestKind,
    all: InboundMessage<T>[],
    what: string,
    read: { lock?: (messages: InboundMessage<T>[]) => Promise<L>; stored: (eventIds: string[]) => Promise<Map<string, A>> },
  ): Promise<AnswerRound<T, A, L> | null> {
    const messages = await this.fingerprints.parkReused(ctx, kind, all, what);
    if (messages.length === 0) return null;
    const locked = (await read.lock?.(messages)) as L;
    const answers = await read.stored([...new Set(messages.map((m) => m.value.eventId))]);
    return { messages, answers, fresh: unanswered(messages, answers), locked, what };
  }

  /**
   * Every message gets its event's answer on `topic` (the same one, however often the event comes),
   * or waits `deferred` ms more for the reason `waiting` gives; one with neither is a bug.
   */
  protected deliver<K extends TopicKey, T extends { eventId: string }>(
    ctx: TxContext,
    topic: K,
    round: { messages: InboundMessage<T>[]; answers: Map<string, PayloadOf<K>>; what: string },
    deferred: Map<string, number>,
    waiting: (m: InboundMessage<T>) => WaitReason,
  ): void {
    for (const m of round.messages) {
      const a = round.answers.get(m.value.eventId);
      const waitMs = deferred.get(m.value.eventId);
      if (a) ctx.emit(topic, a, m);
      else if (waitMs !== undefined) ctx.retryLater(m, waiting(m), waitMs);
      else throw new Error(`${round.what} ${m.value.eventId} was neither answered nor deferred`);
    }
  }
}
