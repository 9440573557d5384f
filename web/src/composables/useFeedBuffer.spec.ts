import { describe, expect, it } from 'vitest';
import { FEED_CAP, useFeedBuffer } from './useFeedBuffer';

// A manual "animation frame": the test decides when the browser would paint.
function setup(cap?: number) {
  let frames: (() => void)[] = [];
  const feed = useFeedBuffer<number>({ cap, schedule: (flush) => frames.push(flush) });
  const frame = () => {
    const run = frames;
    frames = [];
    run.forEach((f) => f());
  };
  return { feed, frame, scheduled: () => frames.length };
}

describe('useFeedBuffer', () => {
  it('shows nothing until the next frame, then the rows newest first', () => {
    const { feed, frame } = setup();
    feed.push(1);
    feed.push(2);
    feed.push(3);
    expect(feed.size.value).toBe(0);
    frame();
    expect(feed.size.value).toBe(3);
    expect(feed.slice(0, 10)).toEqual([3, 2, 1]);
    expect(feed.at(0)).toBe(3);
    expect(feed.at(3)).toBeUndefined();
  });

  it('schedules one flush per frame and bumps the version once, however many rows arrive', () => {
    const { feed, frame, scheduled } = setup();
    for (let i = 0; i < 500; i++) feed.push(i);
    expect(scheduled()).toBe(1);
    const before = feed.version.value;
    frame();
    expect(feed.version.value).toBe(before + 1);
    expect(feed.size.value).toBe(500);
  });

  it('keeps the newest 10,000 rows and counts what it dropped', () => {
    const { feed, frame } = setup();
    expect(feed.cap).toBe(FEED_CAP);
    for (let i = 0; i < 12_345; i++) feed.push(i);
    frame();
    expect(feed.size.value).toBe(10_000);
    expect(feed.at(0)).toBe(12_344);
    expect(feed.at(9_999)).toBe(2_345);
    expect(feed.evicted.value).toBe(2_345);
    // Across frames too: the ring wraps.
    for (let i = 12_345; i < 12_350; i++) feed.push(i);
    frame();
    expect(feed.size.value).toBe(10_000);
    expect(feed.slice(0, 2)).toEqual([12_349, 12_348]);
    expect(feed.at(9_999)).toBe(2_350);
  });

  it('while paused keeps the rows on screen still and counts new ones as "N new"', () => {
    const { feed, frame } = setup();
    feed.push(1);
    frame();
    feed.pause();
    feed.push(2);
    feed.push(3);
    frame();
    expect(feed.slice(0, 10)).toEqual([1]);
    expect(feed.pendingCount.value).toBe(2);
    feed.push(4);
    frame();
    expect(feed.pendingCount.value).toBe(3);
  });

  it('on resume flushes the buffered rows in order, including ones not yet flushed', () => {
    const { feed, frame } = setup();
    feed.pause();
    feed.push(1);
    feed.push(2);
    frame();
    feed.push(3); // arrived after the last frame
    feed.resume();
    expect(feed.pendingCount.value).toBe(0);
    expect(feed.slice(0, 10)).toEqual([3, 2, 1]);
    frame(); // the frame scheduled for row 3 finds nothing left to do
    expect(feed.size.value).toBe(3);
  });

  it('counts every event received while paused, but buffers at most the cap', () => {
    const { feed, frame } = setup(100);
    feed.pause();
    for (let i = 0; i < 250; i++) feed.push(i);
    frame();
    expect(feed.pendingCount.value).toBe(250);
    feed.resume();
    expect(feed.size.value).toBe(100);
    expect(feed.at(0)).toBe(249);
    expect(feed.at(99)).toBe(150);
  });

  it('clear empties rows, pending rows and counters', () => {
    const { feed, frame } = setup();
    feed.push(1);
    frame();
    feed.pause();
    feed.push(2);
    frame();
    feed.clear();
    expect(feed.size.value).toBe(0);
    expect(feed.pendingCount.value).toBe(0);
    feed.resume();
    expect(feed.size.value).toBe(0);
  });

  it('keeps memory bounded when no frame comes for a long time (a hidden tab)', () => {
    const { feed, frame } = setup(100);
    for (let i = 0; i < 100_000; i++) feed.push(i);
    frame();
    expect(feed.size.value).toBe(100);
    expect(feed.at(0)).toBe(99_999);
    expect(feed.evicted.value).toBe(99_900);
  });

  it('still counts every event of a long paused stretch without frames', () => {
    const { feed, frame } = setup(100);
    feed.pause();
    for (let i = 0; i < 1_000; i++) feed.push(i);
    frame();
    expect(feed.pendingCount.value).toBe(1_000);
    feed.resume();
    expect(feed.at(0)).toBe(999);
  });
});
