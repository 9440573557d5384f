import { shallowRef } from 'vue';

// Events per second, in and out, over a sliding window (5 minutes by default). One slot per second
// in a ring, stamped with the second it counts so a slot left over from a previous lap reads as 0.
// Counting is O(1) per event; reading the series is O(window) and happens once per second.

export interface ThroughputSeries {
  /** Epoch second of the first (oldest) point. */
  start: number;
  inbound: number[];
  outbound: number[];
}

export function useThroughput(options: { windowSeconds?: number; now?: () => number } = {}) {
  const windowSeconds = options.windowSeconds ?? 300;
  const now = options.now ?? Date.now;
  const stamp = new Float64Array(windowSeconds).fill(-1);
  const inbound = new Uint32Array(windowSeconds);
  const outbound = new Uint32Array(windowSeconds);
  /** Bumped on every change, for views that redraw on their own schedule. */
  const version = shallowRef(0);

  function slot(second: number): number {
    const i = second % windowSeconds;
    if (stamp[i] !== second) {
      stamp[i] = second;
      inbound[i] = 0;
      outbound[i] = 0;
    }
    return i;
  }

  /**
   * Counts `n` events of a direction at time `atMs`. A time in the future (clock skew between the
   * server and this browser) counts as now; one older than the window is ignored.
   */
  function add(direction: string | null | undefined, atMs: number = now(), n = 1): boolean {
    if (direction !== 'in' && direction !== 'out') return false;
    const current = Math.floor(now() / 1000);
    const second = Math.min(current, Math.floor((Number.isFinite(atMs) ? atMs : now()) / 1000));
    if (second <= current - windowSeconds) return false;
    const i = slot(second);
    if (direction === 'in') inbound[i] += n;
    else outbound[i] += n;
    version.value++;
    return true;
  }

  /** Seeds the window from the server's per-second counts (`trafficSeries`). Replaces, not adds. */
  function backfill(points: { at: string | number; inbound: number; outbound: number }[]): void {
    const current = Math.floor(now() / 1000);
    for (const point of points) {
      const second = Math.floor((typeof point.at === 'number' ? point.at : Date.parse(point.at)) / 1000);
      if (!Number.isFinite(second) || second > current || second <= current - windowSeconds) continue;
      const i = slot(second);
      inbound[i] = point.inbound;
      outbound[i] = point.outbound;
    }
    version.value++;
  }

  /** The window ending at the current second, oldest first. */
  function series(): ThroughputSeries {
    const current = Math.floor(now() / 1000);
    const start = current - windowSeconds + 1;
    const ins: number[] = new Array(windowSeconds);
    const outs: number[] = new Array(windowSeconds);
    for (let k = 0; k < windowSeconds; k++) {
      const second = start + k;
      const i = second % windowSeconds;
      const live = stamp[i] === second;
      ins[k] = live ? inbound[i] : 0;
      outs[k] = live ? outbound[i] : 0;
    }
    return { start, inbound: ins, outbound: outs };
  }

  function reset(): void {
    stamp.fill(-1);
    version.value++;
  }

  return { windowSeconds, add, backfill, series, reset, version };
}

/** SVG polyline points for values drawn left to right in a width × height box, 0 at the bottom. */
export function polylinePoints(values: number[], width: number, height: number, max: number): string {
  if (values.length === 0) return '';
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const scale = max > 0 ? height / max : 0;
  let points = '';
  for (let k = 0; k < values.length; k++) {
    const x = Math.round(k * step * 10) / 10;
    const y = Math.round((height - values[k] * scale) * 10) / 10;
    points += (k ? ' ' : '') + `${x},${y}`;
  }
  return points;
}

/** A round axis maximum at or above `peak` (1, 2, 5 × 10^n), so the gridlines read well. */
export function niceMax(peak: number): number {
  if (peak <= 0) return 5;
  const magnitude = 10 ** Math.floor(Math.log10(peak));
  for (const m of [1, 2, 5, 10]) if (m * magnitude >= peak) return m * magnitude;
  return 10 * magnitude;
}
