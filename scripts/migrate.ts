/** `npm run migrate`: create the database if missing and apply pending migrations. */
import { loadConfigOrExit } from '@latchkey/config';
import { prepareDatabase } from '@latchkey/event-store';

prepareDatabase(loadConfigOrExit()).then(
  ({ created, applied }) => {
    process.stdout.write(`${created ? 'created the database; ' : ''}${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}\n`);
  },
  (error: unknown) => {
    process.stderr.write(`latchkey: migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
