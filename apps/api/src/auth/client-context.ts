import type { AppConfig } from '@latchkey/config';
import type { ClientContext } from '@latchkey/identity';
import type { Request, Response } from 'express';

export const DEVICE_COOKIE = 'lk_device';
export const DEVICE_HEADER = 'x-device-token';

/** The device token from the body, the X-Device-Token header or the lk_device cookie, in that order. */
export function clientContext(req: Request, bodyToken?: string): ClientContext {
  const header = req.headers[DEVICE_HEADER];
  const cookie = (req.cookies as Record<string, string> | undefined)?.[DEVICE_COOKIE];
  const deviceToken = bodyToken || (typeof header === 'string' ? header : undefined) || cookie || undefined;
  return { deviceToken, ip: req.ip ?? null, userAgent: req.headers['user-agent']?.slice(0, 512) ?? null };
}

/** Remembers a newly trusted device in the browser too (HttpOnly, Secure, SameSite=Lax). */
export function setDeviceCookie(res: Response, token: string, config: AppConfig): void {
  res.cookie(DEVICE_COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: 'lax',
    path: '/',
    maxAge: config.deviceTrustDays * 86_400_000,
  });
}
