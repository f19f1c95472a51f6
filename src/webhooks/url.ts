/** What a caller's webhook_url must be: checked at submit, and the address checked again at every delivery (send.ts). */
import { resolvePublic } from '../net/public-address.js';

export const MAX_WEBHOOK_URL_CHARS = 2000;

/** Syntax alone (no DNS): http(s), bounded, no credentials in it. The message says what is wrong. */
export function webhookUrlProblem(value: string): string | undefined {
  if (value.length > MAX_WEBHOOK_URL_CHARS) return `expected at most ${MAX_WEBHOOK_URL_CHARS} characters`;
  if (!URL.canParse(value)) return 'expected an http(s) URL such as https://example.com/ocr-events';
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `expected an http(s) URL, not ${url.protocol.slice(0, -1)}`;
  if (url.username || url.password) return 'expected a URL without a user name or password (put a token in the path or the query)';
  return undefined;
}

/**
 * The URL as it will be called, or an Error saying why not: its syntax, and unless `allowPrivate`
 * (WEBHOOK_ALLOW_PRIVATE) that its host resolves to public addresses only.
 */
export async function checkWebhookUrl(value: string, allowPrivate: boolean): Promise<string> {
  const problem = webhookUrlProblem(value);
  if (problem) throw new Error(problem);
  const url = new URL(value);
  if (!allowPrivate) {
    try {
      await resolvePublic(url.hostname);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw new Error(`${url.hostname} does not resolve`, { cause: err });
      throw err;
    }
  }
  return url.toString();
}
