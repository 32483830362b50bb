import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Clock, inTransaction } from '@latchkey/event-store';
import { SecretBox, selfSignedCertificate } from '@latchkey/security';
import { DataSource } from 'typeorm';

const KEY_SETTING = 'saml-sp-private-key';
const CERT_SETTING = 'saml-sp-certificate';
const LOCK = 'latchkey.saml-sp-credentials';

/**
 * The SP's signing key and certificate (AuthnRequests are signed; IdPs read the certificate
 * from the SP metadata). Made once, on the first start, and kept in `security_settings` with
 * the private key sealed by the keyring; every API process uses the same pair.
 */
@Injectable()
export class SpCredentials implements OnModuleInit {
  private pair: { privateKey: string; certificate: string } | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly box: SecretBox,
    private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    this.pair = await inTransaction(this.dataSource, async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [LOCK]);
      const rows = await tx.query<{ name: string; value: string }>(`SELECT name, value FROM security_settings WHERE name = ANY($1::text[])`, [
        [KEY_SETTING, CERT_SETTING],
      ]);
      const key = rows.find((r) => r.name === KEY_SETTING);
      const cert = rows.find((r) => r.name === CERT_SETTING);
      if (key && cert) return { privateKey: this.box.decrypt(key.value, KEY_SETTING), certificate: cert.value };
      const fresh = await selfSignedCertificate('latchkey SAML SP', this.clock.now(), 3650);
      await tx.query(`INSERT INTO security_settings (name, value) VALUES ($1, $2), ($3, $4)`, [
        KEY_SETTING,
        this.box.encrypt(fresh.privateKey, KEY_SETTING),
        CERT_SETTING,
        fresh.certificate,
      ]);
      return fresh;
    });
  }

  get privateKey(): string {
    return this.pair!.privateKey;
  }

  get certificate(): string {
    return this.pair!.certificate;
  }
}
