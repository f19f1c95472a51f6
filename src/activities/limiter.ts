/**
 * A counting semaphore shared by every activity of a worker: at most `max` model calls in flight
 * (or, in a second one, pages drawn and not yet answered), whichever task they belong to. Waiters
 * are queued per key (the task id) and served round-robin across keys, so a one-page image waits
 * for the next free slot, not behind the hundreds of pages a large PDF has queued. Within a key the lowest `order` (the page number) goes first: the pages of a
 * task's oldest batch are served before those of the batches behind it, so batches finish one after
 * another and each finished one lets the workflow start the next, which renders while the model is
 * still busy with the others. (Served as they came, the pages of every batch in the window would mix,
 * the batches would all finish together, and the model would wait for the next ones to render.)
 * A waiter whose activity is cancelled leaves the queue at once.
 *
 * With `grant: 'fewest-held'` the next slot goes to the waiting key that holds the fewest slots
 * (ties round-robin). That suits a bound on what is held for a long time, such as pages rendered
 * and waiting for the model: round-robin alone hands each PDF a slot as often as a newcomer, so a
 * one-page image would wait behind every PDF's turn twice, once here and once for the model.
 */
export interface LimiterPolicy {
  /** Which waiting key a freed slot goes to: the next in turn, or the one holding the fewest slots. */
  grant?: 'round-robin' | 'fewest-held';
}

export interface LimiterOptions {
  signal?: AbortSignal;
  /** Whose call this is (the task id): keys are served round-robin. */
  key?: string;
  /** Within a key, lower goes first (the page number); equal orders as they came. */
  order?: number;
}

export interface Limiter {
  run<T>(fn: () => Promise<T>, options?: LimiterOptions): Promise<T>;
  readonly active: number;
  readonly waiting: number;
}

interface Waiter { order: number; grant: () => void }

export function createLimiter(max: number, { grant: policy = 'round-robin' }: LimiterPolicy = {}): Limiter {
  let active = 0;
  let waiting = 0;
  // Insertion order of the Map is the round-robin order: a key served goes to the back. Each queue
  // is kept sorted by order.
  const queues = new Map<string, Waiter[]>();
  // Slots held per key, for 'fewest-held'.
  const held = new Map<string, number>();
  const hold = (key: string, by: number) => {
    const count = (held.get(key) ?? 0) + by;
    if (count === 0) held.delete(key);
    else held.set(key, count);
  };

  // The key served next: the first in turn, or the first in turn among those holding the fewest.
  // Keys are tasks with pages waiting, a few dozen at most.
  const nextKey = (): string | undefined => {
    if (policy === 'round-robin') return queues.keys().next().value;
    let chosen: string | undefined;
    let fewest = Infinity;
    for (const key of queues.keys()) {
      const count = held.get(key) ?? 0;
      if (count < fewest) [chosen, fewest] = [key, count];
      if (count === 0) break;
    }
    return chosen;
  };

  const grantNext = () => {
    const key = nextKey();
    if (key === undefined) return;
    const queue = queues.get(key)!;
    const { grant } = queue.shift()!;
    queues.delete(key);
    if (queue.length > 0) queues.set(key, queue);
    grant();
  };

  const enqueue = (key: string, waiter: Waiter) => {
    const queue = queues.get(key) ?? [];
    if (!queues.has(key)) queues.set(key, queue);
    // After every waiter of the same or a lower order: a queue holds a window of pages, a few dozen.
    const at = queue.findIndex((w) => w.order > waiter.order);
    queue.splice(at < 0 ? queue.length : at, 0, waiter);
  };

  const acquire = ({ signal, key = '', order = 0 }: LimiterOptions) =>
    new Promise<void>((resolve, reject) => {
      signal?.throwIfAborted();
      if (active < max && waiting === 0) {
        active++;
        hold(key, 1);
        resolve();
        return;
      }
      const waiter: Waiter = {
        order,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          waiting--;
          active++;
          hold(key, 1);
          resolve();
        },
      };
      const onAbort = () => {
        const queue = queues.get(key);
        const index = queue?.indexOf(waiter) ?? -1;
        if (index < 0) return;
        queue!.splice(index, 1);
        if (queue!.length === 0) queues.delete(key);
        waiting--;
        reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      enqueue(key, waiter);
      waiting++;
    });

  const release = (key: string) => {
    active--;
    hold(key, -1);
    grantNext();
  };

  return {
    async run(fn, options = {}) {
      await acquire(options);
      try {
        return await fn();
      } finally {
        release(options.key ?? '');
      }
    },
    get active() { return active; },
    get waiting() { return waiting; },
  };
}
