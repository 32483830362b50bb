import { EventSourcedAggregate, type DomainEvent } from '@latchkey/event-store';
import { DeviceAuthorized, DeviceRevoked } from './device.events';

interface DeviceState {
  authorized: boolean;
  userId: string | null;
  revoked: boolean;
}

export const DEVICE_TOKEN_SCOPE = 'device_token';

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

  authorize(input: Omit<DeviceAuthorized['data'], 'deviceId'>): void {
    this.claim(DEVICE_TOKEN_SCOPE, input.tokenHash);
    this.apply(new DeviceAuthorized({ deviceId: this.id, ...input }));
  }

  /** Returns false when there was nothing to revoke. */
  revoke(reason: DeviceRevoked['data']['reason']): boolean {
    if (!this.active || !this.state.userId) return false;
    this.apply(new DeviceRevoked({ deviceId: this.id, userId: this.state.userId, reason }));
    return true;
  }
}
