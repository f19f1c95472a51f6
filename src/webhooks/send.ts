/**
 * One delivery attempt: the event's body POSTed to its URL, signed per Standard Webhooks (the
 * `standardwebhooks` package), and what the receiver's answer means for the delivery. Redirects
 * are not followed; a caller's URL goes only to public addresses (net/public-address.ts).
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Webhook } from 'standardwebhooks';
import { bareHost, BlockedAddressError, publicOnlyLookup, resolvePublic } from '../net/public-address.js';
import { parseRetryAfter } from './retry.js';

/** Each attempt gets this long for the receiver's answer (its status line and headers). */
export const ATTEMPT_TIMEOUT_MS = 10_000;
const USER_AGENT = 'ocr-webhooks/1';

export type SendResult =
  | { kind: 'delivered'; statusCode: number }
  /** Worth another attempt: no answer, a timeout, 408, 429 or 5xx (with the receiver's Retry-After, if any). */
  | { kind: 'retry'; statusCode: number | null; error: string; retryAfterMs?: number }
  /** Never worth another: another 4xx, a redirect, an address the guard refused. */
  | { kind: 'refused'; statusCode: number | null; error: string };

export interface Attempt {
  url: string;
  /** The webhook-id: the same on every attempt of the event. */
  id: string;
  body: string;
  signer: Webhook;
  /** A caller's URL: only public addresses (WEBHOOK_ALLOW_PRIVATE unset). */
  publicOnly: boolean;
}

// Kept apart so a connection opened without the guard (the operator's WEBHOOK_URL) is never reused
// for a caller's URL on the same host and port.
const agents = {
  trusted: { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) },
  guarded: { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) },
};

export async function sendWebhook(attempt: Attempt, timeoutMs = ATTEMPT_TIMEOUT_MS): Promise<SendResult> {
  const url = new URL(attempt.url);
  if (attempt.publicOnly) {
    // An address in the URL is connected to without a lookup: checked here; names are checked in the lookup.
    try {
      if (net.isIP(bareHost(url.hostname)) !== 0) await resolvePublic(url.hostname);
    } catch (err) {
      return { kind: 'refused', statusCode: null, error: (err as Error).message };
    }
  }
  // The timestamp is the attempt's: receivers refuse signatures older than a few minutes.
  const timestamp = new Date();
  const headers = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(attempt.body),
    'user-agent': USER_AGENT,
    'webhook-id': attempt.id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': attempt.signer.sign(attempt.id, timestamp, attempt.body),
  };
  const https_ = url.protocol === 'https:';
  const pool = attempt.publicOnly ? agents.guarded : agents.trusted;
  return new Promise<SendResult>((resolve) => {
    const request = (https_ ? https : http).request(url, {
      method: 'POST',
      headers,
      agent: https_ ? pool.https : pool.http,
      ...(attempt.publicOnly ? { lookup: publicOnlyLookup } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    }, (response) => {
      // The status decides; the body is read and dropped so the connection can be reused.
      response.on('error', () => {});
      response.resume();
      resolve(classify(response.statusCode ?? 0, response.headers['retry-after']));
    });
    request.on('error', (err) => {
      if (err instanceof BlockedAddressError || (err as { cause?: unknown }).cause instanceof BlockedAddressError) {
        resolve({ kind: 'refused', statusCode: null, error: err.message });
      } else if (err.name === 'AbortError' || err.name === 'TimeoutError') {
        resolve({ kind: 'retry', statusCode: null, error: `no answer within ${timeoutMs / 1000} s` });
      } else {
        resolve({ kind: 'retry', statusCode: null, error: describe(err) });
      }
    });
    request.end(attempt.body);
  });
}

function classify(statusCode: number, retryAfter: string | undefined): SendResult {
  if (statusCode >= 200 && statusCode < 300) return { kind: 'delivered', statusCode };
  if (statusCode === 408 || statusCode === 429 || statusCode >= 500) {
    const retryAfterMs = parseRetryAfter(retryAfter);
    return { kind: 'retry', statusCode, error: `HTTP ${statusCode}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (statusCode >= 300 && statusCode < 400) return { kind: 'refused', statusCode, error: `HTTP ${statusCode}: redirects are not followed` };
  return { kind: 'refused', statusCode, error: `HTTP ${statusCode}` };
}

/** A connection error as a short line: its code and message ("ECONNREFUSED connect ECONNREFUSED 127.0.0.1:9"). */
function describe(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}
