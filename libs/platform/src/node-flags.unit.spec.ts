import { apiNodeEnvironment } from './node-flags';

describe('the API process environment', () => {
  it('gives the password hashes a thread per core, within the hash concurrency and never fewer than 2', () => {
    expect(apiNodeEnvironment(8, {}, 2).UV_THREADPOOL_SIZE).toBe('2');
    expect(apiNodeEnvironment(8, {}, 1).UV_THREADPOOL_SIZE).toBe('2');
    expect(apiNodeEnvironment(8, {}, 6).UV_THREADPOOL_SIZE).toBe('6');
    expect(apiNodeEnvironment(8, {}, 32).UV_THREADPOOL_SIZE).toBe('8');
    expect(apiNodeEnvironment(8, {}, 2).MALLOC_ARENA_MAX).toBe('2');
  });

  it("keeps the operator's own thread-pool size", () => {
    expect(apiNodeEnvironment(8, { UV_THREADPOOL_SIZE: '12' }, 2).UV_THREADPOOL_SIZE).toBe('12');
  });

  it('takes an empty UV_THREADPOOL_SIZE (`UV_THREADPOOL_SIZE=` in an .env file) as unset, not as one thread', () => {
    expect(apiNodeEnvironment(8, { UV_THREADPOOL_SIZE: '' }, 4).UV_THREADPOOL_SIZE).toBe('4');
  });
});
