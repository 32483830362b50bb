import { Module } from '@nestjs/common';
import { EventStoreModule } from '@latchkey/event-store';
import { AuditLogProjector } from './audit/audit-log.projector';
import { IDENTITY_EVENTS } from './audit/identity-event-types';
import { AccountsProjector } from './account/accounts.projector';
import { SignUpHandler } from './account/commands/sign-up/sign-up.handler';
import { RevokeDeviceHandler } from './device/commands/revoke-device/revoke-device.handler';
import { DevicesProjector } from './device/devices.projector';
import { ListDevicesHandler } from './device/queries/list-devices.query';
import { PasswordLoginHandler } from './login/commands/password-login/password-login.handler';
import { RecordOtpDeliveredHandler, RecordOtpFailedHandler } from './login/commands/record-delivery/record-delivery.handler';
import { ResendOtpHandler } from './login/commands/resend-otp/resend-otp.handler';
import { SelectAccountHandler } from './login/commands/select-account/select-account.handler';
import { VerifyOtpHandler } from './login/commands/verify-otp/verify-otp.handler';
import { LoginFinisher } from './login/login-finisher';
import { LoginThrottle } from './login/login-throttle';
import { RecentLogin } from './shared/recent-login';
import { OtpIssuer } from './login/otp-issuer';
import { GetChallengeHandler } from './login/queries/get-challenge.query';
import { LogoutHandler } from './session/commands/logout/logout.handler';
import { ReauthenticateHandler } from './session/commands/reauthenticate/reauthenticate.handler';
import { RefreshSessionHandler } from './session/commands/refresh-session/refresh-session.handler';
import { RevokeSessionHandler } from './session/commands/revoke-session/revoke-session.handler';
import { ListSessionsHandler } from './session/queries/list-sessions.query';
import { SessionIssuer } from './session/session-issuer';
import { SessionPassword } from './session/session-password';
import { SessionsProjector } from './session/sessions.projector';
import { IdentityReadModels } from './shared/read-models';
import { CompleteResetHandler } from './password-reset/commands/complete-reset/complete-reset.handler';
import { RecordResetEmailFailedHandler, RecordResetEmailSentHandler } from './password-reset/commands/record-email/record-email.handler';
import { AdminResetHandler, RequestResetHandler } from './password-reset/commands/request-reset/request-reset.handler';
import { ResetIssuer } from './password-reset/reset-issuer';
import { ResetTokensProjector } from './password-reset/reset-tokens.projector';
import { CreateUserHandler } from './user/commands/create-user/create-user.handler';
import { UnlockUserHandler } from './user/commands/unlock-user/unlock-user.handler';
import { UpdateUserHandler } from './user/commands/update-user/update-user.handler';
import { AdminQueries } from './user/queries/admin-users.query';
import { ChangePasswordHandler } from './user/commands/change-password/change-password.handler';
import { ChangePreferencesHandler } from './user/commands/change-preferences/change-preferences.handler';
import { GetMeHandler } from './user/queries/get-me.query';
import { UsersProjector } from './user/users.projector';
import { GroupsProjector } from './group/groups.projector';
import { GroupQueries } from './group/queries/groups.query';
import { ConfirmGroupsHandler } from './login/commands/confirm-groups/confirm-groups.handler';
import { RejectSsoLoginHandler, SsoLoginHandler } from './login/commands/sso-login/sso-login.handler';
import { SsoSteps } from './login/sso-steps';
import { JoinSsoConnectionHandler } from './sso-connection/commands/join-connection/join-connection.handler';
import {
  CreateSsoConnectionHandler,
  RemoveSsoConnectionHandler,
  UpdateSsoConnectionHandler,
} from './sso-connection/commands/manage-connection/manage-connection.handler';
import { SsoConnectionQueries } from './sso-connection/queries/sso-connections.query';
import { SsoConnectionsProjector } from './sso-connection/sso-connections.projector';
import { OAuthLoginHandler, RejectOAuthLoginHandler } from './login/commands/oauth-login/oauth-login.handler';
import { UnlinkIdentityHandler } from './user/commands/unlink-identity/unlink-identity.handler';
import { ExternalIdentitiesProjector } from './user/external-identities/external-identities.projector';
import { ExternalIdentityQueries } from './user/external-identities/external-identities.query';
import { IdentityLinker } from './login/identity-linker';

export { IDENTITY_EVENTS };

/** Its events and read models only: what the worker and scripts need to read and rebuild. */
@Module({
  imports: [
    EventStoreModule.forFeature({
      events: IDENTITY_EVENTS,
      inlineProjections: [AccountsProjector, UsersProjector, DevicesProjector, SessionsProjector, ResetTokensProjector, SsoConnectionsProjector, GroupsProjector, ExternalIdentitiesProjector],
      asyncProjections: [AuditLogProjector],
    }),
  ],
  providers: [IdentityReadModels],
  exports: [IdentityReadModels],
})
export class IdentityModelModule {}

/** The identity domain: commands, queries and the services they share (needs SecurityModule). */
@Module({
  imports: [IdentityModelModule],
  providers: [
    LoginFinisher,
    RecentLogin,
    LoginThrottle,
    OtpIssuer,
    SessionIssuer,
    SessionPassword,
    SignUpHandler,
    PasswordLoginHandler,
    SelectAccountHandler,
    VerifyOtpHandler,
    ResendOtpHandler,
    RefreshSessionHandler,
    ReauthenticateHandler,
    RevokeSessionHandler,
    ListSessionsHandler,
    LogoutHandler,
    ChangePreferencesHandler,
    ChangePasswordHandler,
    RevokeDeviceHandler,
    GetMeHandler,
    ListDevicesHandler,
    GetChallengeHandler,
    ResetIssuer,
    RequestResetHandler,
    AdminResetHandler,
    CompleteResetHandler,
    CreateUserHandler,
    UpdateUserHandler,
    UnlockUserHandler,
    AdminQueries,
    GroupQueries,
    SsoConnectionQueries,
    SsoSteps,
    SsoLoginHandler,
    RejectSsoLoginHandler,
    ConfirmGroupsHandler,
    CreateSsoConnectionHandler,
    UpdateSsoConnectionHandler,
    RemoveSsoConnectionHandler,
    JoinSsoConnectionHandler,
    ExternalIdentityQueries,
    IdentityLinker,
    OAuthLoginHandler,
    RejectOAuthLoginHandler,
    UnlinkIdentityHandler,
  ],
  exports: [IdentityModelModule, AdminQueries, GroupQueries, SsoConnectionQueries, ExternalIdentityQueries],
})
export class IdentityModule {}

/** What the delivery worker needs of the domain: recording results, issuing fallback codes. */
@Module({
  imports: [IdentityModelModule],
  providers: [OtpIssuer, RecordOtpDeliveredHandler, RecordOtpFailedHandler, RecordResetEmailSentHandler, RecordResetEmailFailedHandler],
  exports: [IdentityModelModule],
})
export class IdentityDeliveryModule {}
