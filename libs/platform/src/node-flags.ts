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
export const API_NODE_ENV = { MALLOC_ARENA_MAX: '2' } as const;
