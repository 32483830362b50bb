import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@latchkey/config';
import { Clock, DataSourceSql, inTransaction, type Sql } from '@latchkey/event-store';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { SecretBox } from '../secrets/secret-box.service';
import { DEFAULT_SIGNING_KEYS_REFRESH_SECONDS, SECURITY_OPTIONS, type SecurityOptions } from '../security.options';
import { CLOCK_LEEWAY_SECONDS, JWS_ALGORITHM, jwkThumbprint, type PublicJwk } from './jws';

/** Processes that start together or rotate at once take turns on this advisory lock. */
const SIGNING_KEYS_LOCK = 'latchkey.signing-keys';
/** After a re-read that did not find a token's key, tokens naming unknown keys wait this long before the next one. */
const UNKNOWN_KID_RELOAD_INTERVAL_MS = 5000;
/** Our key ids are RFC 7638 thumbprints: 32 bytes of SHA-256 in base64url. */
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

interface PublishedKey {
  kid: string;
  jwk: PublicJwk;
  publicKey: KeyObject;
  retiredAt: Date | null;
}

interface KeyRow {
  kid: string;
  public_jwk: { kty: string; crv: string; x: string };
  private_key: string;
  activated_at: Date | null;
  retired_at: Date | null;
}

/**
 * The Ed25519 keys access tokens are signed with, kept in `signing_keys` (private halves
 * sealed by SecretBox). One key is active: it signs. A rotation retires it and activates a
 * new one; a retired key still verifies, and stays in the JWKS, until every token it can
 * have signed has expired: access-token lifetime, plus the refresh interval (a process that
 * has not yet seen the rotation still signs with it), plus clock leeway.
 *
 * Every process reads the table at start, every `signingKeysRefreshSeconds`, and when a
 * token names a key it does not know (rate-limited, see `reloadForUnknownKid`), so a
 * rotation made by one process (or by `npm run keys:rotate`) reaches the others without a
 * restart.
 */
@Injectable()
export class SigningKeys implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SigningKeys.name);
  private readonly sql: Sql;
  private readonly refreshSeconds: number;
  private published = new Map<string, PublishedKey>();
  private signer: { kid: string; privateKey: KeyObject } | undefined;
  private readonly privateKeys = new Map<string, KeyObject>();
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private lastFruitlessReload = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    @Inject(SECURITY_OPTIONS) options: SecurityOptions,
  ) {
    this.sql = new DataSourceSql(dataSource);
    this.refreshSeconds = options.signingKeysRefreshSeconds ?? DEFAULT_SIGNING_KEYS_REFRESH_SECONDS;
  }

  async onModuleInit(): Promise<void> {
    await this.ensureActiveKey();
    await this.reload();
    this.timer = setInterval(() => {
      this.reload().catch((error: unknown) => this.logger.warn(`could not reload signing keys: ${(error as Error).message}`));
    }, this.refreshSeconds * 1000);
    // The refresh must never keep a process alive that is otherwise done.
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** How long a retired key keeps verifying and stays published. */
  get retentionSeconds(): number {
    return this.config.tokens.accessTtlSeconds + this.refreshSeconds + CLOCK_LEEWAY_SECONDS;
  }

  /** The key new tokens are signed with. */
  signingKey(): { kid: string; privateKey: KeyObject } {
    if (!this.signer) throw new Error('signing keys are not loaded yet (SecurityModule not initialized)');
    return this.signer;
  }

  /** The public key for a kid, while tokens signed with it can still be valid. */
  publicKey(kid: string): KeyObject | undefined {
    const key = this.published.get(kid);
    return key && this.isPublished(key) ? key.publicKey : undefined;
  }

  /** The JWKS document (`/.well-known/jwks.json`): the active key first, then retired keys still in their retention. */
  jwks(): { keys: PublicJwk[] } {
    const keys = [...this.published.values()].filter((k) => this.isPublished(k));
    keys.sort((a, b) => (a.kid === this.signer?.kid ? -1 : b.kid === this.signer?.kid ? 1 : (b.retiredAt?.getTime() ?? 0) - (a.retiredAt?.getTime() ?? 0)));
    return { keys: keys.map((k) => ({ ...k.jwk })) };
  }

  /** Creates a key, makes it the signer and retires the current one; returns both ids. */
  async rotate(): Promise<{ kid: string; retiredKid: string | undefined }> {
    const result = await inTransaction(this.dataSource, async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [SIGNING_KEYS_LOCK]);
      const now = this.clock.now();
      const retired = await tx.query<{ kid: string }>(
        `UPDATE signing_keys SET retired_at = $1 WHERE activated_at IS NOT NULL AND retired_at IS NULL RETURNING kid`,
        [now],
      );
      const kid = await this.insertKey(tx, now);
      return { kid, retiredKid: retired[0]?.kid };
    });
    await this.freshReload();
    this.logger.log(`signing key rotated: ${result.kid} signs now${result.retiredKid ? `, ${result.retiredKid} retired` : ''}`);
    return result;
  }

  /** Re-reads the table; concurrent callers share one read. */
  reload(): Promise<void> {
    this.reloading ??= this.load().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /** A read that starts after this call: one already running may have begun before a key was added. */
  private async freshReload(): Promise<void> {
    await this.reloading?.catch(() => undefined);
    await this.reload();
  }

  /**
   * Re-reads the table for a token that names a key this process does not know. A read that
   * did not find the key blocks further reads for 5 s, so forged key ids cost at most one
   * query per interval, while a read that found its key (a rotation) blocks nothing.
   * Returns whether the kid is known afterwards.
   */
  async reloadForUnknownKid(kid: unknown): Promise<boolean> {
    if (typeof kid !== 'string' || !THUMBPRINT.test(kid)) return false;
    if (performance.now() - this.lastFruitlessReload < UNKNOWN_KID_RELOAD_INTERVAL_MS) {
      // A read started for an earlier token may be about to bring this very key.
      if (this.reloading) await this.reloading.catch(() => undefined);
      return this.publicKey(kid) !== undefined;
    }
    await this.freshReload();
    if (this.publicKey(kid) !== undefined) return true;
    this.lastFruitlessReload = performance.now();
    return false;
  }

  private isPublished(key: PublishedKey): boolean {
    if (key.retiredAt === null) return true;
    return key.retiredAt.getTime() + this.retentionSeconds * 1000 > this.clock.now().getTime();
  }

  private async load(): Promise<void> {
    const since = new Date(this.clock.now().getTime() - this.retentionSeconds * 1000);
    const rows = await this.sql.query<KeyRow>(
      `SELECT kid, public_jwk, private_key, activated_at, retired_at FROM signing_keys
        WHERE activated_at IS NOT NULL AND (retired_at IS NULL OR retired_at > $1)`,
      [since],
    );
    const published = new Map<string, PublishedKey>();
    for (const row of rows) {
      const jwk: PublicJwk = { kty: 'OKP', crv: 'Ed25519', x: row.public_jwk.x, kid: row.kid, alg: JWS_ALGORITHM, use: 'sig' };
      const publicKey = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
      published.set(row.kid, { kid: row.kid, jwk, publicKey, retiredAt: row.retired_at ? new Date(row.retired_at) : null });
    }
    // Verification needs only public keys: update them even if the signer cannot change below.
    this.published = published;
    for (const kid of this.privateKeys.keys()) if (!published.has(kid)) this.privateKeys.delete(kid);
    const active = rows.find((r) => r.retired_at === null);
    if (!active) {
      if (!this.signer) throw new Error('no active signing key in signing_keys');
      this.logger.warn(`no active signing key in signing_keys; still signing with ${this.signer.kid}`);
      return;
    }
    if (this.signer?.kid === active.kid) return;
    try {
      this.signer = { kid: active.kid, privateKey: this.privateKeyOf(active) };
    } catch (error) {
      // At start this stops the process; later, keep signing with the key we have (it still verifies everywhere).
      if (!this.signer) throw error;
      this.logger.error(`${(error as Error).message}; still signing with ${this.signer.kid}`);
    }
  }

  private privateKeyOf(row: KeyRow): KeyObject {
    let key = this.privateKeys.get(row.kid);
    if (!key) {
      let pem: string;
      try {
        pem = this.box.decrypt(row.private_key, privateKeyContext(row.kid));
      } catch (error) {
        // Typically ENCRYPTION_KEYS changed without keeping the key the signing key was sealed with.
        throw new Error(
          `cannot open the private key of signing key ${row.kid}: ${(error as Error).message}; ` +
            'ENCRYPTION_KEYS must keep every key that sealed a signing key still in use',
        );
      }
      key = createPrivateKey(pem);
      this.privateKeys.set(row.kid, key);
    }
    return key;
  }

  /** Makes sure one key is active; processes starting together create exactly one between them. */
  private async ensureActiveKey(): Promise<void> {
    const active = `SELECT 1 FROM signing_keys WHERE activated_at IS NOT NULL AND retired_at IS NULL`;
    if ((await this.sql.query(active)).length > 0) return;
    await inTransaction(this.dataSource, async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [SIGNING_KEYS_LOCK]);
      // Read committed: this statement sees what the previous lock holder committed.
      if ((await tx.query(active)).length > 0) return;
      const kid = await this.insertKey(tx, this.clock.now());
      this.logger.log(`created the first signing key ${kid}`);
    });
  }

  private async insertKey(tx: Sql, now: Date): Promise<string> {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const jwk = publicKey.export({ format: 'jwk' });
    const kid = jwkThumbprint(jwk);
    const sealed = this.box.encrypt(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, privateKeyContext(kid));
    await tx.query(
      `INSERT INTO signing_keys (kid, algorithm, public_jwk, private_key, created_at, activated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
      [kid, JWS_ALGORITHM, JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }), sealed, now],
    );
    return kid;
  }
}

/** Associated data binding a sealed private key to its row: a box copied onto another kid does not open. */
function privateKeyContext(kid: string): string {
  return `signing_keys.private_key:${kid}`;
}
