import { EventSourcedAggregate, type DomainEvent } from '@latchkey/event-store';
import { AccountCreated } from './account.events';

interface AccountState {
  created: boolean;
  name: string | null;
}

/** A tenant: the customer organisation whose users log in. */
export class Account extends EventSourcedAggregate<AccountState> {
  get streamType(): string {
    return 'account';
  }

  protected initialState(): AccountState {
    return { created: false, name: null };
  }

  protected evolve(state: AccountState, event: DomainEvent): AccountState {
    if (event instanceof AccountCreated) return { created: true, name: event.data.name };
    return state;
  }

  create(name: string): void {
    if (this.state.created) throw new Error(`account ${this.id} exists`);
    this.apply(new AccountCreated({ accountId: this.id, name: name.trim() }));
  }
}
