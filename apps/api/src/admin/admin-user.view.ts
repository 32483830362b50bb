import type { Channel, Locale, Role, UserRow } from '@latchkey/identity';

/** A user as the admin API shows it (API.md "Admin REST"). */
export interface AdminUserView {
  id: string;
  accountId: string;
  email: string;
  username: string;
  name: string | null;
  phone: string | null;
  roles: Role[];
  webAccess: boolean;
  twoFactorChannel: Channel;
  locale: Locale;
  enabled: boolean;
  createdAt: string;
}

export function adminUserView(user: UserRow): AdminUserView {
  return {
    id: user.id,
    accountId: user.accountId,
    email: user.email,
    username: user.username,
    name: user.name ?? null,
    phone: user.phone,
    roles: user.roles,
    webAccess: user.webAccess,
    twoFactorChannel: user.twoFactorChannel,
    locale: user.locale,
    enabled: user.enabled,
    createdAt: user.createdAt.toISOString(),
  };
}
