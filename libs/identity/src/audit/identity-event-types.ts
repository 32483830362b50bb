import { ACCOUNT_EVENTS } from '../account/account.events';
import { DEVICE_EVENTS } from '../device/device.events';
import { LOGIN_EVENTS } from '../login/login.events';
import { RESET_EVENTS } from '../password-reset/password-reset.events';
import { SESSION_EVENTS } from '../session/session.events';
import { USER_EVENTS } from '../user/user.events';
import { GROUP_EVENTS } from '../group/group.events';
import { SSO_CONNECTION_EVENTS } from '../sso-connection/sso-connection.events';

/** Every event class of the identity domain. */
export const IDENTITY_EVENTS = [...ACCOUNT_EVENTS, ...USER_EVENTS, ...DEVICE_EVENTS, ...LOGIN_EVENTS, ...SESSION_EVENTS, ...RESET_EVENTS, ...SSO_CONNECTION_EVENTS, ...GROUP_EVENTS];

export const IDENTITY_EVENT_TYPES: readonly string[] = IDENTITY_EVENTS.map((e) => e.type);
