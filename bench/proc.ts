// What the scenarios read about a process from /proc: its resident memory and its CPU time.
import { readFileSync } from 'node:fs';

/**
 * How a server is started, as `npm start` and the Dockerfile start it: Node with the young
 * generation capped at 16 MB a half (Node 24 sizes it by the machine's memory, 128 MB in all here,
 * which the server's resident memory carried at idle: 311 → 196 MB).
 */
export const SERVER_NODE_ARGS = ['--max-semi-space-size=16', '--import', 'tsx'];
/** The environment every way of starting the server sets (README, "Memory"). */
export const SERVER_ENV = { MALLOC_ARENA_MAX: '2' };

/** Resident memory of a process (bytes); 0 when it is gone. */
export function rss(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time a process has used so far (ms), from /proc/<pid>/stat; 0 when it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime + stime, in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}
