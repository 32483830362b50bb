// The jest global set-up and teardown run outside jest's module mapper: teach Node the
// same @latchkey/* aliases the code uses (from tsconfig.json).
import { join } from 'node:path';
import { register } from 'tsconfig-paths';
import tsconfig from '../../tsconfig.json';

register({ baseUrl: join(__dirname, '..', '..'), paths: tsconfig.compilerOptions.paths });
