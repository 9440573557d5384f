import { logger } from './logger.js';

/** Closes cleanly on SIGINT/SIGTERM; a second signal exits at once. */
export function onShutdown(close: () => Promise<void>): void {
  let closing = false;
  const handler = (signal: string) => {
    if (closing) process.exit(1);
    closing = true;
    close().then(() => process.exit(0), (error) => {
      logger.error({ err: error, signal }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
