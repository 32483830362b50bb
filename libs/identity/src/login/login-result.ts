import { sha256 } from '@latchkey/security';
import type { Locale } from '../shared/locale';
import type { Channel, Role } from '../shared/roles';

export interface UserView {
  id: string;
  accountId: string;
  email: string;
  username: string;
  locale: Locale;
  roles: Role[];
  webAccess: boolean;
}

/** Every step of every login method answers one of these (API.md "The login result"). */
export type LoginResult =
  | {
      status: 'authenticated';
      accessToken: string;
      tokenType: 'Bearer';
      expiresIn: number;
      refreshToken: string;
      deviceToken?: string;
      user: UserView;
    }
  | {
      status: 'otp_required';
      challengeId: string;
      channel: Channel;
      destination: string;
      expiresAt: string;
      resendAvailableAt: string;
      availableChannels: Channel[];
    }
  | { status: 'account_selection_required'; selectionId: string; accounts: { id: string; name: string }[] }
  | { status: 'groups_confirmation_required'; confirmationId: string; added: string[]; removed: string[] };

/** Where the request came from: device token (body, header or cookie, in that order), IP, user agent. */
export interface ClientContext {
  deviceToken?: string;
  /** The SHA-256 of a device token an earlier step of the login was given, when this request has none. */
  deviceTokenHash?: string;
  ip: string | null;
  userAgent: string | null;
}

/** The answer that asks the caller to pick one of the accounts `users` belong to. */
export function accountChoice(selectionId: string, users: { accountId: string }[], names: Map<string, { name: string }>): LoginResult {
  return { status: 'account_selection_required', selectionId, accounts: users.map((u) => ({ id: u.accountId, name: names.get(u.accountId)?.name ?? '' })) };
}

/** Who a request came from, as a hash: the IP and the user agent (to hold a later step to the same client). */
export function clientHashOf(client: ClientContext): string {
  return sha256(`${client.ip ?? ''}\n${client.userAgent ?? ''}`);
}

/** The device a step offering a choice of accounts was given, to remember with the offer. */
export function offeredDevice(client: ClientContext): { tokenHash: string; clientHash: string } | undefined {
  return client.deviceToken ? { tokenHash: sha256(client.deviceToken), clientHash: clientHashOf(client) } : undefined;
}
