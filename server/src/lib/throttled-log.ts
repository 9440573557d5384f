/**
 * A log line at most once per interval, with the count of what it held back: for a failure that
 * repeats thousands of times a second while a dependency is away (Redis, Postgres).
 */
export function throttledLog(intervalMs: number, write: (count: number, message: string) => void): (message: string) => void {
  let last = -Infinity;
  let count = 0;
  return (message) => {
    count++;
    if (Date.now() - last < intervalMs) return;
    write(count, message);
    last = Date.now();
    count = 0;
  };
}
