import { describe, expect, it } from 'vitest';
import { niceMax, polylinePoints, useThroughput } from './useThroughput';

function setup(startMs = 1_700_000_000_500, windowSeconds = 300) {
  let clock = startMs;
  const tp = useThroughput({ windowSeconds, now: () => clock });
  return { tp, advance: (ms: number) => { clock += ms; }, now: () => clock };
}

describe('useThroughput', () => {
  it('buckets events by the second they happened, in and out apart', () => {
    const { tp, now } = setup();
    const t = now();
    tp.add('in', t);
    tp.add('in', t - 200);
    tp.add('out', t);
    tp.add('in', t - 1000);
    const s = tp.series();
    expect(s.inbound.length).toBe(300);
    expect(s.inbound.at(-1)).toBe(2);
    expect(s.outbound.at(-1)).toBe(1);
    expect(s.inbound.at(-2)).toBe(1);
    expect(s.start).toBe(Math.floor(t / 1000) - 299);
  });

  it('slides: a second leaves the window after 5 minutes and its slot starts again at 0', () => {
    const { tp, advance, now } = setup();
    tp.add('in', now(), 7);
    advance(299_000);
    expect(tp.series().inbound[0]).toBe(7);
    advance(1_000);
    expect(tp.series().inbound.reduce((a, b) => a + b, 0)).toBe(0);
    tp.add('in', now());
    expect(tp.series().inbound.at(-1)).toBe(1); // the reused slot does not carry the old 7
  });

  it('counts a future time (clock skew) as now and ignores one older than the window', () => {
    const { tp, now } = setup();
    expect(tp.add('out', now() + 5_000)).toBe(true);
    expect(tp.series().outbound.at(-1)).toBe(1);
    expect(tp.add('out', now() - 300_000)).toBe(false);
    expect(tp.add(null, now())).toBe(false);
  });

  it('backfills from the server series, then live events add on top', () => {
    const { tp, now } = setup();
    const second = Math.floor(now() / 1000) * 1000;
    tp.backfill([
      { at: new Date(second - 2000).toISOString(), inbound: 4, outbound: 1 },
      { at: new Date(second).toISOString(), inbound: 3, outbound: 0 },
      { at: new Date(second - 900_000).toISOString(), inbound: 99, outbound: 99 }, // outside: ignored
    ]);
    tp.add('in', now());
    const s = tp.series();
    expect(s.inbound.slice(-3)).toEqual([4, 0, 4]);
    expect(s.outbound.slice(-3)).toEqual([1, 0, 0]);
  });

  it('handles hundreds of events per second without losing any', () => {
    const { tp, now, advance } = setup();
    for (let s = 0; s < 10; s++) {
      for (let i = 0; i < 800; i++) tp.add(i % 2 ? 'in' : 'out', now());
      advance(1000);
    }
    const total = tp.series().inbound.reduce((a, b) => a + b, 0) + tp.series().outbound.reduce((a, b) => a + b, 0);
    expect(total).toBe(8000);
  });
});

describe('polylinePoints', () => {
  it('spreads the values across the width with 0 at the bottom and max at the top', () => {
    expect(polylinePoints([0, 5, 10], 100, 50, 10)).toBe('0,50 50,25 100,0');
    expect(polylinePoints([], 100, 50, 10)).toBe('');
    expect(polylinePoints([3, 3], 10, 10, 0)).toBe('0,10 10,10');
  });
});

describe('niceMax', () => {
  it('rounds a peak up to 1, 2 or 5 times a power of ten', () => {
    expect(niceMax(0)).toBe(5);
    expect(niceMax(3)).toBe(5);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(120)).toBe(200);
    expect(niceMax(1000)).toBe(1000);
  });
});
