/**
 * CPU accounting for the benchmarks, read from /proc (Linux): what one process, the PostgreSQL
 * processes and the whole machine used between two readings.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** CPU time (user + system, ms) and minor page faults one process has used so far; zeros when it is gone. */
export function processStat(pid: number): { cpuMs: number; faults: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { cpuMs: (Number(fields[11]) + Number(fields[12])) * 10, faults: Number(fields[7]) }; // USER_HZ = 100
  } catch {
    return { cpuMs: 0, faults: 0 };
  }
}

/**
 * CPU time (user + system, ms) one process's main thread (the event loop: the thread whose id
 * is the process's) has used so far, and all its other threads together (libuv's pool, where
 * argon2 hashes; V8's garbage-collector helpers). Zeros when it is gone.
 */
export function threadSplit(pid: number): { mainMs: number; otherMs: number } {
  let mainMs = 0;
  let otherMs = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
        const ms = (Number(fields[11]) + Number(fields[12])) * 10;
        if (Number(tid) === pid) mainMs += ms;
        else otherMs += ms;
      } catch {
        /* the thread ended */
      }
    }
  } catch {
    /* gone */
  }
  return { mainMs, otherMs };
}

/**
 * CPU used so far by the whole machine, and by each PostgreSQL process, in ms. `machine` is what
 * this machine's own work used (user, nice, system, irq, softirq); `steal` is the time the
 * hypervisor ran something else while this VM had work ready: not ours, so not in `machine`.
 * (guest time is already inside user time.)
 */
export function machineCpuMs(): { machine: number; steal: number; postgres: Map<number, number> } {
  const [user, nice, system, , , irq, softirq, steal = 0] = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  return { machine: (user + nice + system + irq + softirq) * 10, steal: steal * 10, postgres: cpuOfProcessesNamed('postgres') };
}

/** CPU used so far (ms) by each process whose command name is `comm` ("postgres", "redis-server"). */
export function cpuOfProcessesNamed(comm: string): Map<number, number> {
  const found = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) found.set(Number(entry), processStat(Number(entry)).cpuMs);
    } catch {
      /* gone */
    }
  }
  return found;
}

/** CPU a set of processes (PostgreSQL's, Redis) used between two readings (a process that ended meanwhile is not counted). */
export function processesDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}

