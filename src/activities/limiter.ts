/**
 * A counting semaphore shared by every activity of a worker: at most `max` model calls in flight,
 * whichever task they belong to. Waiters are queued per key (the task id) and served round-robin
 * across keys, so a one-page image waits for the next free slot, not behind the hundreds of pages a
 * large PDF has queued. A waiter whose activity is cancelled leaves the queue at once.
 */
export interface Limiter {
  run<T>(fn: () => Promise<T>, signal?: AbortSignal, key?: string): Promise<T>;
  readonly active: number;
  readonly waiting: number;
}

export function createLimiter(max: number): Limiter {
  let active = 0;
  let waiting = 0;
  // Insertion order of the Map is the round-robin order: a key served goes to the back.
  const queues = new Map<string, Array<() => void>>();

  const grantNext = () => {
    const next = queues.entries().next();
    if (next.done) return;
    const [key, queue] = next.value;
    const grant = queue.shift()!;
    queues.delete(key);
    if (queue.length > 0) queues.set(key, queue);
    grant();
  };

  const acquire = (key: string, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      signal?.throwIfAborted();
      if (active < max && waiting === 0) {
        active++;
        resolve();
        return;
      }
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        waiting--;
        active++;
        resolve();
      };
      const onAbort = () => {
        const queue = queues.get(key);
        const index = queue?.indexOf(grant) ?? -1;
        if (index < 0) return;
        queue!.splice(index, 1);
        if (queue!.length === 0) queues.delete(key);
        waiting--;
        reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (!queues.has(key)) queues.set(key, []);
      queues.get(key)!.push(grant);
      waiting++;
    });

  const release = () => {
    active--;
    grantNext();
  };

  return {
    async run(fn, signal, key = '') {
      await acquire(key, signal);
      try {
        return await fn();
      } finally {
        release();
      }
    },
    get active() { return active; },
    get waiting() { return waiting; },
  };
}
