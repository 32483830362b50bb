import { EventSourcedAggregate, type DomainEvent } from '@latchkey/event-store';
import { DeviceAuthorized, DeviceRevoked } from './device.events';

interface DeviceState {
  authorized: boolean;
  userId: string | null;
  revoked: boolean;
}


/** A browser or app a user has proven with a code; it skips the code until it expires or is revoked. */
export class Device extends EventSourcedAggregate<DeviceState> {
  get streamType(): string {
    return 'device';
  }

  protected initialState(): DeviceState {
    return { authorized: false, userId: null, revoked: false };
  }

  protected evolve(state: DeviceState, event: DomainEvent): DeviceState {
    if (event instanceof DeviceAuthorized) return { authorized: true, userId: event.data.userId, revoked: false };
    if (event instanceof DeviceRevoked) return { ...state, revoked: true };
    return state;
  }

  get ownerId(): string | null {
    return this.state.userId;
  }

  get active(): boolean {
    return this.state.authorized && !this.state.revoked;
  }

  /**
   * The token is 256 random bits, stored as its SHA-256 (`read.devices.token_hash` is UNIQUE, in
   * the same transaction). Until the tenth session it was also a unique claim: a row in
   * `unique_claims` per device for good, and a statement more in every code verification, to
   * guard against a collision of random 256-bit values.
   */
  authorize(input: Omit<DeviceAuthorized['data'], 'deviceId'>): void {
    this.apply(new DeviceAuthorized({ deviceId: this.id, ...input }));
  }

  /** Returns false when there was nothing to revoke. */
  revoke(reason: DeviceRevoked['data']['reason']): boolean {
    if (!this.active || !this.state.userId) return false;
    this.apply(new DeviceRevoked({ deviceId: this.id, userId: this.state.userId, reason }));
    return true;
  }
}
