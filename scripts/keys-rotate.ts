/**
 * `npm run keys:rotate`: create a new access-token signing key, make it the one that signs,
 * and retire the current one. Safe while the apps run: they pick the new key up within a
 * minute (at once when they meet a token signed with it), and tokens signed with the retired
 * key keep verifying until they expire. Prints its result on stdout; warnings and errors go to
 * stderr as JSON lines, like the apps' logs.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit } from '@latchkey/config';
import { prepareDatabase } from '@latchkey/event-store';
import { PinoNestLogger, PlatformModule, createCommandLogger } from '@latchkey/platform';
import { SecurityModule, SigningKeys } from '@latchkey/security';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  await prepareDatabase(config);

  @Module({ imports: [PlatformModule.forRoot(config, { app: 'worker' }), SecurityModule.forRoot()] })
  class KeysRotateModule {}

  const app = await NestFactory.createApplicationContext(KeysRotateModule, { logger: new PinoNestLogger(createCommandLogger(config, 'keys-rotate')) });
  try {
    const keys = app.get(SigningKeys);
    const { kid, retiredKid } = await keys.rotate();
    process.stdout.write(`new signing key: ${kid}\n`);
    if (retiredKid) process.stdout.write(`retired signing key: ${retiredKid} (still verifies and stays in the JWKS for ${keys.retentionSeconds} s)\n`);
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`latchkey: key rotation failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
