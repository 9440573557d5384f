import { readFileSync, readdirSync } from 'node:fs';
import type postgres from 'postgres';

// Where a bench's CPU went: the whole machine from /proc/stat, and by process from /proc/<pid>/stat
// (a role and its children, Postgres backends by the client that asked). Shared by test/bench/.

const CLOCK_TICKS = 100; // USER_HZ, the unit of /proc/stat on Linux

/** Busy and total CPU time of the whole machine (in clock ticks, from /proc/stat). */
export function machineCpu(): { busy: number; total: number } {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
  // Busy is work done here; time the hypervisor gave to other guests (steal) is neither.
  const busy = user + nice + system + irq + softirq;
  return { busy, total: busy + idle + iowait + (steal ?? 0) };
}

/** Between two machineCpu readings: the share of both cores busy (%) and the CPU µs per event, printable. */
export function machineCpuFigures(before: ReturnType<typeof machineCpu>, after: ReturnType<typeof machineCpu>, events: number): [string, string] {
  const busy = after.busy - before.busy;
  return [((100 * busy) / (after.total - before.total)).toFixed(0), (((busy / events) * 1e6) / CLOCK_TICKS).toFixed(0)];
}

/** CPU time (clock ticks) of every process on the machine, with its parent and name, from /proc. */
export function processCpu() {
  const ticks = new Map<number, number>();
  const parent = new Map<number, number>();
  const name = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')'); // the name may hold spaces and parentheses
      const fields = stat.slice(close + 2).split(' ');
      const pid = Number(entry);
      ticks.set(pid, Number(fields[11]) + Number(fields[12])); // utime + stime
      parent.set(pid, Number(fields[1]));
      name.set(pid, stat.slice(stat.indexOf('(') + 1, close));
    } catch {
      // the process ended meanwhile
    }
  }
  return { ticks, parent, name };
}

/**
 * Postgres backends labelled by their client's application_name (wabahub-server, wabahub-worker;
 * plain wabahub is this bench's own), so that Postgres's CPU is told apart by who asked for it.
 */
export async function postgresBackends(sql: postgres.Sql): Promise<Map<number, string>> {
  const rows = await sql<{ pid: number; application_name: string }[]>`select pid, application_name from pg_stat_activity where application_name like 'wabahub%'`;
  return new Map(rows.map((r) => [r.pid, `postgres for ${r.application_name.replace(/^wabahub-?/, '') || 'bench'}`]));
}

/**
 * CPU µs per event between two readings, per role (a process and its children, e.g. tsx's node),
 * else per label (Postgres backends by client), else per process name.
 */
export function cpuByProcess(before: ReturnType<typeof processCpu>, after: ReturnType<typeof processCpu>, roles: Record<string, number>, events: number, labels = new Map<number, string>()): string {
  const roleOf = new Map(Object.entries(roles).map(([role, pid]) => [pid, role]));
  const totals = new Map<string, number>();
  for (const [pid, ticks] of after.ticks) {
    let group = labels.get(pid) ?? after.name.get(pid)!;
    for (let p: number | undefined = pid; p && p > 1; p = after.parent.get(p)) {
      const role = roleOf.get(p);
      if (role) { group = role; break; }
    }
    totals.set(group, (totals.get(group) ?? 0) + ticks - (before.ticks.get(pid) ?? 0));
  }
  const perEvent = (t: number) => ((t / events) * 1e6) / CLOCK_TICKS;
  return [...totals].filter(([, t]) => perEvent(t) >= 5).sort((x, y) => y[1] - x[1]).map(([group, t]) => `${group} ${perEvent(t).toFixed(0)}`).join(', ');
}
