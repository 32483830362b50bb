import { availableParallelism } from 'node:os';

/**
 * How the API's Node process is started wherever we start it (`npm start`, the image, the login
 * benchmark), for its memory:
 *
 * - a cap on V8's old generation: under a high request rate V8 otherwise lets the heap grow far
 *   beyond the live data before collecting (a 350–410 MB peak RSS at ~700 refreshes/s on the
 *   benchmark machine). The live heap under load is a fraction of the cap; raise it if a
 *   deployment holds more;
 * - two glibc malloc arenas: each argon2 verification allocates 19 MiB on a thread-pool thread,
 *   and with an arena per thread the freed blocks stay resident in each of them.
 */
export const API_NODE_FLAGS = ['--max-old-space-size=160'] as const;

/**
 * The API's environment on top of the operator's (see `API_NODE_FLAGS` for the arenas), with
 * libuv's thread pool sized for password hashing, which is nearly all the pool does in the API.
 * Node's default is 4 threads whatever the machine. A hash is CPU-bound: threads beyond the cores
 * only take turns, each holding its 19 MiB meanwhile and evicting the others' from the caches,
 * and threads beyond `PASSWORD_HASH_CONCURRENCY` never get a hash. So: the cores, at most that
 * concurrency, at least 2. On the 2-core benchmark machine, 2 threads verified 15–25% more
 * hashes per second than 4 and the API's peak RSS fell by 15–72 MB. An operator's own
 * `UV_THREADPOOL_SIZE` is kept; an empty one counts as unset, as every variable does (libuv would
 * read it as one thread).
 */
export function apiNodeEnvironment(
  passwordHashConcurrency: number,
  environment: Readonly<Record<string, string | undefined>>,
  cores = availableParallelism(),
): Record<string, string> {
  const threads = environment.UV_THREADPOOL_SIZE || String(Math.max(2, Math.min(cores, passwordHashConcurrency)));
  return { MALLOC_ARENA_MAX: '2', UV_THREADPOOL_SIZE: threads };
}
