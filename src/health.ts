/**
 * Health checks shared by the API's /health and the worker's /healthz: each dependency is probed
 * with a deadline, and the answer is 200 when every check says 'ok', else 503 naming what failed.
 */
export const CHECK_TIMEOUT_MS = 3000;

/** [name, 'ok'] or [name, why not]; a check that does not answer within the deadline fails. */
export async function probe(name: string, check: () => Promise<unknown>): Promise<[string, string]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS); }),
    ]);
    return [name, 'ok'];
  } catch (err) {
    return [name, (err as Error).message || String(err)];
  } finally {
    clearTimeout(timer);
  }
}

/** The HTTP status and body for a set of checks. */
export function healthAnswer(checks: Record<string, string>): { status: 200 | 503; body: Record<string, unknown> } {
  const failing = Object.entries(checks).filter(([, v]) => v !== 'ok');
  const timestamp = new Date().toISOString();
  return failing.length === 0
    ? { status: 200, body: { status: 'healthy', timestamp, checks } }
    : { status: 503, body: { status: 'unhealthy', timestamp, reason: failing.map(([k, v]) => `${k}: ${v}`).join('; '), checks } };
}
