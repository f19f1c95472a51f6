/** One HTTP route under load with autocannon: requests per second, latency percentiles, failures. */
import autocannon from 'autocannon';

export interface HttpRun {
  name: string;
  connections: number;
  reqPerS: number;
  p50: number;
  p99: number;
  max: number;
  requests: number;
  errors: number;
  non2xx: number;
  /** Mean response size, in kB. */
  responseKb: number;
  apiCpu?: number;
}

export interface HttpLoadOptions {
  /** http://host:port */
  origin: string;
  durationS: number;
  /** Discarded run first: the API's JIT, pool connections and Postgres caches warm up. */
  warmupS: number;
}

/** `nextPath` is called for every request, so each one can ask for a different task. */
export async function loadRoute(opts: HttpLoadOptions, connections: number, name: string, nextPath: () => string, apiCpuSeconds?: () => Promise<number>): Promise<HttpRun> {
  const run = (duration: number) => autocannon({
    url: opts.origin,
    connections,
    duration,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: nextPath() }) }],
  });
  await run(opts.warmupS);
  const cpuBefore = await apiCpuSeconds?.();
  const result = await run(opts.durationS);
  const cpuAfter = await apiCpuSeconds?.();
  return {
    name,
    connections,
    reqPerS: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    requests: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
    responseKb: result.throughput.total / Math.max(1, result.requests.total) / 1000,
    ...(cpuBefore !== undefined && cpuAfter !== undefined ? { apiCpu: (cpuAfter - cpuBefore) / result.duration } : {}),
  };
}
