import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiResponse } from '@nestjs/swagger';

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'problem+json: /problems/validation (with errors[]), /problems/invalid-otp (with attemptsLeft)',
  401: 'problem+json: /problems/invalid-credentials, /problems/invalid-token, /problems/invalid-saml-response or /problems/unauthorized',
  403: 'problem+json: /problems/web-access-denied, /problems/account-disabled, /problems/sso-required, /problems/no-account or /problems/forbidden',
  404: 'problem+json: /problems/not-found or /problems/sso-not-configured',
  409: 'problem+json: /problems/username-taken, /problems/email-taken, /problems/last-admin or /problems/identifier-taken',
  410: 'problem+json: /problems/otp-expired',
  422: 'problem+json: /problems/weak-password (with reasons[])',
  429: 'problem+json: /problems/rate-limited (Retry-After) or /problems/too-many-attempts',
  503: 'problem+json: /problems/unavailable (Retry-After): too many password checks in progress',
};

/** Documents the problem types an endpoint can answer with. */
export function ApiProblems(...statuses: number[]): MethodDecorator {
  return applyDecorators(...statuses.map((status) => ApiResponse({ status, description: PROBLEM_DESCRIPTIONS[status] })));
}

export function ApiLoginResult(): MethodDecorator {
  return applyDecorators(
    ApiOkResponse({
      description: 'A login result: status authenticated | otp_required | account_selection_required | groups_confirmation_required',
      schema: {
        oneOf: [
          {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['authenticated'] },
              accessToken: { type: 'string' },
              tokenType: { type: 'string', enum: ['Bearer'] },
              expiresIn: { type: 'integer' },
              refreshToken: { type: 'string' },
              deviceToken: { type: 'string' },
              user: {
                type: 'object',
                properties: {
                  id: { type: 'string' },
                  accountId: { type: 'string' },
                  email: { type: 'string' },
                  username: { type: 'string' },
                  locale: { type: 'string' },
                  roles: { type: 'array', items: { type: 'string' } },
                  webAccess: { type: 'boolean' },
                },
              },
            },
          },
          {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['otp_required'] },
              challengeId: { type: 'string' },
              channel: { type: 'string', enum: ['sms', 'voice', 'email'] },
              destination: { type: 'string' },
              expiresAt: { type: 'string', format: 'date-time' },
              resendAvailableAt: { type: 'string', format: 'date-time' },
              availableChannels: { type: 'array', items: { type: 'string' } },
            },
          },
          {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['account_selection_required'] },
              selectionId: { type: 'string' },
              accounts: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } } },
            },
          },
          {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['groups_confirmation_required'] },
              confirmationId: { type: 'string' },
              added: { type: 'array', items: { type: 'string' } },
              removed: { type: 'array', items: { type: 'string' } },
            },
          },
        ],
      },
    }),
  );
}
