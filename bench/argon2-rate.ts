/**
 * The raw argon2id verify rate with the API's parameters, for bench:login's reference: run as a
 * process of its own with the API's environment (its libuv thread pool is the API's size), it
 * verifies with `concurrency` verifications in flight for `seconds` and prints `{"rate": …,
 * "cpuMsPerVerify": …}` (the process's CPU time, all threads, per verification).
 * Usage: node argon2-rate.js <seconds> <concurrency>
 */
import * as argon2 from 'argon2';
import { ARGON2_PARAMETERS } from '@latchkey/security';

const PASSWORD = 'bench horse battery staple';

async function main(seconds: number, concurrency: number): Promise<void> {
  const hash = await argon2.hash(PASSWORD, { type: argon2.argon2id, ...ARGON2_PARAMETERS });
  let done = 0;
  const deadline = Date.now() + seconds * 1000;
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        await argon2.verify(hash, PASSWORD);
        done++;
      }
    }),
  );
  const rate = done / (Number(process.hrtime.bigint() - started) / 1e9);
  const cpu = process.cpuUsage(cpuBefore);
  process.stdout.write(`${JSON.stringify({ rate, cpuMsPerVerify: (cpu.user + cpu.system) / 1000 / done })}\n`);
}

main(Number(process.argv[2]), Number(process.argv[3])).catch((error: unknown) => {
  process.stderr.write(`argon2-rate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
