/**
 * `npm run projections:rebuild`: truncate every read model and replay all events into it (the
 * inline projections in one transaction, the async ones in another beside it; see
 * `ProjectionRebuilder`). Safe while the apps run: readers see the old rows until it commits,
 * appends that touch a read model wait for it, async projections continue after it. Prints its
 * result on stdout; warnings and errors go to stderr as JSON lines, like the apps' logs.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit } from '@latchkey/config';
import { ProjectionRebuilder, prepareDatabase } from '@latchkey/event-store';
import { PinoNestLogger, createCommandLogger } from '@latchkey/platform';
import { WorkerModule } from '../apps/worker/src/worker.module';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  await prepareDatabase(config);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, { loops: false }), {
    logger: new PinoNestLogger(createCommandLogger(config, 'projections-rebuild')),
  });
  try {
    const result = await app.get(ProjectionRebuilder).rebuild();
    const rate = result.durationMs > 0 ? Math.round((result.events / result.durationMs) * 1000) : result.events;
    process.stdout.write(
      `rebuilt ${result.projections.length} projections (${result.projections.join(', ') || 'none'}) from ${result.events} events in ${result.durationMs.toFixed(0)} ms (${rate} events/s)\n`,
    );
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`latchkey: rebuild failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
