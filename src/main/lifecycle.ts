/**
 * Release in reverse order: each composition root registers what it started, and the first
 * SIGINT/SIGTERM stops it all (a second signal forces the exit).
 */
import type { Logger } from 'pino';

export interface Lifecycle {
  /** Registers a release step; steps run last-registered first. */
  defer(name: string, release: () => unknown): void;
  /** Runs every release step once; later calls wait for the first. */
  shutdown(): Promise<void>;
  /** Resolves when shutdown has finished (after a signal or a shutdown() call). */
  readonly done: Promise<void>;
}

export function createLifecycle(log: Logger): Lifecycle {
  const steps: Array<{ name: string; release: () => unknown }> = [];
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve) => { finished = resolve; });
  let stopping: Promise<void> | undefined;

  const shutdown = () => {
    stopping ??= (async () => {
      for (const step of steps.reverse()) {
        try {
          await step.release();
          log.debug({ step: step.name }, 'released');
        } catch (err) {
          log.error({ err, step: step.name }, 'release failed');
        }
      }
      finished();
    })();
    return stopping;
  };
  return { defer: (name, release) => steps.push({ name, release }), shutdown, done };
}

/** Wires SIGINT/SIGTERM to the lifecycle. */
export function stopOnSignals(lifecycle: Lifecycle, log: Logger): void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    log.info({ signal }, 'shutting down');
    void lifecycle.shutdown();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
