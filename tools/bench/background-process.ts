/**
 * Closed-loop background load (load.ts `startBackground`) in a process of its own, so that the
 * process measuring `me` does nothing else in loaded runs either: the 16 sign-ins' requests,
 * answers and garbage would otherwise share its event loop and show up as `me` latency that the
 * server never caused. In the real world those sign-ins come from other clients.
 *
 * The parent (login-load.ts) starts this file once per scenario; each loaded run sends `start`,
 * then `stop`. Completions come back as they happen, stamped in epoch milliseconds (both
 * processes' `performance.timeOrigin + now()`), so the parent counts them by its own window.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { startBackground, type BackgroundLoad, type Target } from './load';

interface StartMessage {
  type: 'start';
  target: Target;
  bodies: string[];
  /** An answer is good when HTTP 200 and its text holds every `mustInclude` and no `mustExclude`. */
  mustInclude: string[];
  mustExclude: string[];
}
type ToChild = StartMessage | { type: 'stop' };
type ToParent = { type: 'done'; at: number; ok: boolean; error?: string } | { type: 'stopped' };

const epochNow = () => performance.timeOrigin + performance.now();

/** In the child: runs the load between `start` and `stop`. */
function serve(): void {
  let load: BackgroundLoad | undefined;
  const send = (m: ToParent) => process.send?.(m);
  process.on('message', async (m: ToChild) => {
    if (m.type === 'start') {
      const ok = (text: string) => m.mustInclude.every((s) => text.includes(s)) && !m.mustExclude.some((s) => text.includes(s));
      load = startBackground(m.target, m.bodies, ok, { onDone: (answerOk, error) => send({ type: 'done', at: epochNow(), ok: answerOk, error }) });
    } else if (m.type === 'stop') {
      await load?.stop();
      load = undefined;
      send({ type: 'stopped' });
    }
  });
  process.on('disconnect', () => process.exit(0)); // the parent ended
}

/** In the parent: one child for the whole scenario. */
export function startBackgroundProcess(): { start(target: Target, bodies: string[], mustInclude: string[], mustExclude: string[]): BackgroundLoad; close(): void } {
  const child: ChildProcess = fork(__filename, [], { execArgv: ['-r', '@swc-node/register'], env: { ...process.env, BENCH_BACKGROUND_CHILD: '1' }, stdio: 'inherit' });
  let done: { at: number; ok: boolean }[] = [];
  let first: string | undefined;
  let onStopped: (() => void) | undefined;
  child.on('message', (m: ToParent) => {
    if (m.type === 'done') {
      done.push({ at: m.at - performance.timeOrigin, ok: m.ok }); // back into this process's clock
      if (m.error) first ??= m.error;
    } else onStopped?.();
  });
  return {
    start(target, bodies, mustInclude, mustExclude) {
      done = [];
      first = undefined;
      child.send({ type: 'start', target, bodies, mustInclude, mustExclude } satisfies ToChild);
      return {
        countBetween(from, to) {
          const inside = done.filter((d) => d.at >= from && d.at <= to);
          return { ok: inside.filter((d) => d.ok).length, errors: inside.filter((d) => !d.ok).length };
        },
        firstError: () => first,
        stop: () =>
          new Promise<void>((resolve) => {
            onStopped = resolve;
            child.send({ type: 'stop' } satisfies ToChild);
          }),
      };
    },
    close() {
      child.disconnect();
    },
  };
}

if (process.env.BENCH_BACKGROUND_CHILD === '1' && process.send) serve();
