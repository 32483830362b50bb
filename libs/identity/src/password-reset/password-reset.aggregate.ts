import { EventSourcedAggregate, type DomainEvent } from '@latchkey/event-store';
import { storableText } from '../shared/text';
import { ResetCompleted, ResetDeliveryBlocked, ResetEmailFailed, ResetEmailSent, ResetRequested } from './password-reset.events';

interface ResetState {
  requested: boolean;
  userId: string | null;
  completed: boolean;
  email: 'pending' | 'sent' | 'failed';
}

/** One reset or invitation link (`reset-<id>`): issued, emailed, used at most once. */
export class PasswordReset extends EventSourcedAggregate<ResetState> {
  get streamType(): string {
    return 'reset';
  }

  protected initialState(): ResetState {
    return { requested: false, userId: null, completed: false, email: 'pending' };
  }

  protected evolve(state: ResetState, event: DomainEvent): ResetState {
    if (event instanceof ResetRequested) return { ...state, requested: true, userId: event.data.userId };
    if (event instanceof ResetCompleted) return { ...state, completed: true };
    if (event instanceof ResetEmailSent) return { ...state, email: 'sent' };
    if (event instanceof ResetEmailFailed) return { ...state, email: 'failed' };
    return state;
  }

  get completed(): boolean {
    return this.state.completed;
  }

  get emailState(): ResetState['email'] {
    return this.state.email;
  }

  request(data: Omit<ResetRequested['data'], 'resetId'>): void {
    this.apply(new ResetRequested({ resetId: this.id, ...data }));
  }

  block(userId: string): void {
    this.apply(new ResetDeliveryBlocked({ resetId: this.id, userId, reason: 'user_hourly_cap' }));
  }

  /** Returns false if the link was already used (a second use must fail like an unknown one). */
  complete(): boolean {
    if (!this.state.requested || this.state.completed || !this.state.userId) return false;
    this.apply(new ResetCompleted({ resetId: this.id, userId: this.state.userId }));
    return true;
  }

  /** The user whose link a delivery event is about, so that it shows in their history. */
  private get owner(): { userId?: string } {
    return this.state.userId ? { userId: this.state.userId } : {};
  }

  recordSent(sourceEventId: string, provider: string, providerMessageId: string): boolean {
    if (this.state.email !== 'pending') return false;
    this.apply(new ResetEmailSent({ resetId: this.id, ...this.owner, provider, providerMessageId, sourceEventId }));
    return true;
  }

  recordFailed(sourceEventId: string, reason: string): boolean {
    if (this.state.email !== 'pending') return false;
    this.apply(new ResetEmailFailed({ resetId: this.id, ...this.owner, reason: storableText(reason, 200), sourceEventId }));
    return true;
  }
}
