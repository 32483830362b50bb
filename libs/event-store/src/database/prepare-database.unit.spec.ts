import { environmentVariables } from '@latchkey/config';
import { databaseName } from './prepare-database';

describe('databaseName', () => {
  it('is the database named in the URL', () => {
    expect(databaseName('postgres://ana@localhost:5432/latchkey')).toBe('latchkey');
    expect(databaseName('postgres://ana:secret@db.internal/auth_eu?sslmode=disable')).toBe('auth_eu');
    expect(databaseName('postgres://ana@localhost/my%20db')).toBe('my db');
  });

  it('is the user name when the URL names no database, as node-postgres connects (not "postgres")', () => {
    // node-postgres takes PGDATABASE first when it is set; the name must be the one it connects to.
    const expected = environmentVariables().PGDATABASE || 'ana';
    expect(databaseName('postgres://ana@localhost')).toBe(expected);
    expect(databaseName('postgres://ana:secret@localhost:5432/')).toBe(expected);
  });
});
