import { Module, type INestApplicationContext, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AppConfig } from '@latchkey/config';
import { Clock } from '@latchkey/event-store';
import { PlatformModule } from '@latchkey/platform';
import { SecurityModule, type SecurityOptions } from '@latchkey/security';
import { testConfig } from '@latchkey/testing';

/** A clock the test moves by hand (shared by every context it is given to). */
export class MovableClock extends Clock {
  constructor(private current = new Date()) {
    super();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

/** Keeps what Nest's Logger was told, to assert what an operator would read. */
export class RecordingLogger implements LoggerService {
  readonly entries: { level: string; message: string; context?: string }[] = [];

  log(message: unknown, context?: string): void {
    this.entries.push({ level: 'log', message: String(message), context });
  }

  warn(message: unknown, context?: string): void {
    this.entries.push({ level: 'warn', message: String(message), context });
  }

  error(message: unknown, _trace?: string, context?: string): void {
    this.entries.push({ level: 'error', message: String(message), context });
  }

  warnings(containing: string): string[] {
    return this.entries.filter((e) => e.level === 'warn' && e.message.includes(containing)).map((e) => e.message);
  }
}

export interface SecurityContext {
  app: INestApplicationContext;
  config: AppConfig;
  close(): Promise<void>;
}

/**
 * A process of the product as far as security goes (PlatformModule + SecurityModule) on a
 * database the test owns, so that several can share one database like processes started
 * together. Nest's Logger is process-global: contexts started in the same file share the
 * last logger given.
 */
export async function startSecurityContext(
  database: { url: string },
  label: string,
  options: { env?: Record<string, string>; clock?: Clock; logger?: LoggerService; security?: SecurityOptions } = {},
): Promise<SecurityContext> {
  const config = testConfig(database.url, label, options.env);

  @Module({ imports: [PlatformModule.forRoot(config, { app: 'worker' }), SecurityModule.forRoot(options.security)] })
  class SecurityTestModule {}

  let builder = Test.createTestingModule({ imports: [SecurityTestModule] }).setLogger(options.logger ?? new RecordingLogger());
  if (options.clock) builder = builder.overrideProvider(Clock).useValue(options.clock);
  const app = await builder.compile();
  try {
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return { app, config, close: () => app.close() };
}
