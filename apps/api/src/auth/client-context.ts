import type { AppConfig } from '@latchkey/config';
import type { ClientContext } from '@latchkey/identity';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const DEVICE_COOKIE = 'lk_device';
export const DEVICE_HEADER = 'x-device-token';

/** The device token from the body, the X-Device-Token header or the lk_device cookie, in that order. */
export function clientContext(req: FastifyRequest, bodyToken?: string): ClientContext {
  const header = req.headers[DEVICE_HEADER];
  const cookie = req.cookies?.[DEVICE_COOKIE];
  const deviceToken = bodyToken || (typeof header === 'string' ? header : undefined) || cookie || undefined;
  return { deviceToken, ip: req.ip ?? null, userAgent: req.headers['user-agent']?.slice(0, 512) ?? null };
}

/** Remembers a newly trusted device in the browser too (HttpOnly, Secure, SameSite=Lax). */
export function setDeviceCookie(reply: FastifyReply, token: string, config: AppConfig): void {
  reply.setCookie(DEVICE_COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: 'lax',
    path: '/',
    maxAge: config.deviceTrustDays * 86_400,
  });
}
