import type { Writable } from 'node:stream';

/**
 * Resolves when a writable that refused more (`write` returned false) takes data again, or is
 * gone. Unlike racing `events.once` calls, no listener outlives the wait, so a long stream that
 * waits thousands of times does not pile them up.
 */
export function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}
