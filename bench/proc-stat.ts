// CPU time of a process from /proc/<pid>/stat: user + system time of all its threads, what the
// kernel charged it since it started. Used to say what a webhook costs per admission.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * utime + stime in clock ticks from the text of /proc/<pid>/stat. The command name (field 2) is
 * in parentheses and may itself hold spaces or parentheses, so fields are counted after the last
 * ')': state is field 3, utime field 14 and stime field 15.
 */
export function cpuTicksFromStat(stat: string): number {
  const close = stat.lastIndexOf(')');
  if (close < 0) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  const fields = stat
    .slice(close + 2)
    .trim()
    .split(/\s+/); // fields[0] is field 3 (state)
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`no utime/stime in /proc/<pid>/stat: ${stat.slice(0, 80)}`);
  return utime + stime;
}

let ticksPerSecond: number | undefined;
/** The kernel's USER_HZ (getconf CLK_TCK), 100 on every Linux the project runs on. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    const out = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim());
    ticksPerSecond = Number.isFinite(out) && out > 0 ? out : 100;
  }
  return ticksPerSecond;
}

/** CPU seconds (user + system, all threads) that process `pid` has used so far. */
export function cpuSeconds(pid: number): number {
  return cpuTicksFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8')) / clockTicksPerSecond();
}
