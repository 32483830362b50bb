import { Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { MetricsService } from '@latchkey/platform';
import { Counter, Gauge } from 'prom-client';
import { AppConfig } from '@latchkey/config';
import * as argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import { HashingBusyError } from '../errors';

/** OWASP Password Storage Cheat Sheet, argon2id: 19 MiB, 2 iterations, 1 lane. */
export const ARGON2_PARAMETERS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
const HASH_OPTIONS: argon2.HashOptions = { type: argon2.argon2id, ...ARGON2_PARAMETERS };

/**
 * argon2id password hashes. Each hash or verification holds 19 MiB and a thread-pool thread
 * for tens of milliseconds, so a process admits at most `PASSWORD_HASH_CONCURRENCY` at once
 * and refuses the next one at once (`HashingBusyError`, 503 + Retry-After) rather than
 * queueing: a queue would turn a login flood into timeouts for everyone and memory for the
 * attacker. Passwords are NFKC-normalized, so the same password typed on another keyboard or
 * OS still matches. Plain passwords never reach an error message or a log line.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private inFlight = 0;
  private dummyHash: Promise<string> | undefined;
  private readonly operations: Counter<'outcome'> | undefined;

  constructor(
    private readonly config: AppConfig,
    @Optional() metrics?: MetricsService,
  ) {
    if (!metrics) return;
    // Operators see the hashing load, and that throttled or refused logins cost no hash.
    this.operations = new Counter({
      name: 'latchkey_password_hash_operations_total',
      help: 'argon2id hash and verify operations: started, or refused because every slot was taken',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
    const load = () => this.inFlight;
    new Gauge({
      name: 'latchkey_password_hash_in_flight',
      help: 'argon2id operations running now in this process',
      registers: [metrics.registry],
      collect() {
        this.set(load());
      },
    });
  }

  async onModuleInit(): Promise<void> {
    await this.dummy();
  }

  /** Operations running now and the most allowed, for metrics and health. */
  get load(): { inFlight: number; limit: number } {
    return { inFlight: this.inFlight, limit: this.config.passwordHashConcurrency };
  }

  hash(plain: string): Promise<string> {
    return this.gated(() => argon2.hash(normalize(plain), HASH_OPTIONS));
  }

  verify(hash: string, plain: string): Promise<boolean> {
    return this.gated(async () => {
      try {
        return await argon2.verify(hash, normalize(plain));
      } catch {
        // A corrupt stored hash is our bug, not a wrong password: fail loudly, but without the input.
        throw new Error('the stored password hash is not a readable argon2 hash');
      }
    });
  }

  /**
   * Costs what a failed `verify` costs, for logins whose user does not exist: the caller
   * cannot tell "unknown user" from "wrong password" by the time the answer takes.
   */
  async verifyDummy(plain: string): Promise<false> {
    // The slot is taken before anything is awaited, exactly like a real verification.
    await this.gated(async () => argon2.verify(await this.dummy(), normalize(plain)));
    return false;
  }

  /** Whether a hash was made with other parameters (or another algorithm) and should be replaced at the next login. */
  needsRehash(hash: string): boolean {
    if (!hash.startsWith('$argon2id$')) return true;
    try {
      return argon2.needsRehash(hash, ARGON2_PARAMETERS);
    } catch {
      return true;
    }
  }

  private async gated<T>(operation: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.config.passwordHashConcurrency) {
      this.operations?.inc({ outcome: 'refused' });
      throw new HashingBusyError();
    }
    this.inFlight++;
    this.operations?.inc({ outcome: 'started' });
    try {
      return await operation();
    } finally {
      this.inFlight--;
    }
  }

  /** One hash per process of a random password nobody knows, made with the same parameters as real ones. */
  private dummy(): Promise<string> {
    this.dummyHash ??= argon2.hash(randomBytes(32).toString('base64url'), HASH_OPTIONS);
    return this.dummyHash;
  }
}

function normalize(plain: string): string {
  if (typeof plain !== 'string') throw new TypeError('a password must be a string');
  return plain.normalize('NFKC');
}
