import { EventSourcedAggregate, type DomainEvent } from '@latchkey/event-store';
import { GroupCreated } from './group.events';

/** Group names are unique within an account, in any case. */
export const groupNameScope = (accountId: string) => `group-name:${accountId}`;
export const normalizeGroupName = (name: string) => name.trim().toLowerCase();

/** A group of users in an account (`group-<id>`); SSO groups are created when a user confirms them. */
export class Group extends EventSourcedAggregate<{ created: boolean }> {
  get streamType(): string {
    return 'group';
  }

  protected initialState() {
    return { created: false };
  }

  protected evolve(state: { created: boolean }, event: DomainEvent) {
    return event instanceof GroupCreated ? { created: true } : state;
  }

  create(accountId: string, name: string, source: 'sso' | 'local'): void {
    if (this.state.created) throw new Error(`group ${this.id} exists`);
    this.claim(groupNameScope(accountId), normalizeGroupName(name));
    this.apply(new GroupCreated({ groupId: this.id, accountId, name: name.trim(), source }));
  }
}
