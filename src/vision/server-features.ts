/**
 * Request features not every OpenAI-compatible server takes: streaming, usage in the stream
 * (`stream_options`), and the name of the output bound (`max_tokens`, which newer OpenAI models
 * refuse for `max_completion_tokens`). Each is tried first; a 400 that names it as unsupported turns
 * it off for the life of the client (one per process), logged once, and the call is made again
 * without it at once.
 */
import { APIError } from 'openai';
import type { Logger } from 'pino';
import type { Config } from '../config.js';

export type OutputBoundField = 'max_tokens' | 'max_completion_tokens';

export interface ServerFeatures {
  readonly streaming: boolean;
  /** `stream_options` asking for usage in the stream, unless the server refused it. */
  streamOptions(): { stream_options?: { include_usage: true } };
  /** The output bound, in the field the server accepts. */
  outputBound(): Partial<Record<OutputBoundField, number>>;
  /** True when `err` rejects a feature the request used: it is off from now on, ask again. */
  dropRejected(err: unknown, request: { streamed: boolean; body: object }): boolean;
}

/** How servers say a parameter is not for them (OpenAI, vLLM/pydantic, llama.cpp, proxies). */
const UNSUPPORTED = /unsupported|not supported|does not support|unknown|unrecognized|not permitted|not allowed|extra (inputs|fields)|invalid (parameter|field)|instead/i;
const NAMES_STREAM = /\bstream(ing)?\b/i;
const NAMES_STREAM_OPTIONS = /\bstream_options\b|\binclude_usage\b/i;
const NAMES_MAX_TOKENS = /\bmax_tokens\b/;

/** The message of a 400 (or pydantic's 422) that rejects a parameter, else undefined. */
function rejection(err: unknown): string | undefined {
  if (!(err instanceof APIError) || (err.status !== 400 && err.status !== 422)) return undefined;
  return UNSUPPORTED.test(err.message) ? err.message : undefined;
}

export function createServerFeatures(cfg: Config['vision'], log: Logger): ServerFeatures {
  let streaming = true;
  let streamUsage = true;
  let outputField: OutputBoundField = 'max_tokens';
  return {
    get streaming() {
      return streaming;
    },
    outputBound: () => ({ [outputField]: cfg.maxOutputTokens }),
    streamOptions: () => (streamUsage ? { stream_options: { include_usage: true } } : {}),
    dropRejected(err, { streamed, body }) {
      const message = rejection(err);
      if (message === undefined) return false;
      // The output field first: "Use 'max_completion_tokens' instead" is about it, whatever else it says.
      if ('max_tokens' in body && NAMES_MAX_TOKENS.test(message)) {
        if (outputField === 'max_tokens') {
          outputField = 'max_completion_tokens';
          log.warn({ baseUrl: cfg.baseUrl, model: cfg.model, reason: message }, 'the model server rejects max_tokens: sending the output bound as max_completion_tokens from now on');
        }
        return true;
      }
      // Streaming without usage still stops loops; the reply's tokens are then estimated.
      if (streamed && 'stream_options' in body && NAMES_STREAM_OPTIONS.test(message)) {
        if (streamUsage) {
          streamUsage = false;
          log.warn({ baseUrl: cfg.baseUrl, model: cfg.model, reason: message }, 'the model server rejects stream_options: streaming without usage from now on (completion tokens are estimated from the text)');
        }
        return true;
      }
      if (streamed && NAMES_STREAM.test(message)) {
        if (streaming) {
          streaming = false;
          log.warn({ baseUrl: cfg.baseUrl, model: cfg.model, reason: message }, 'the model server rejects streaming: asking without it from now on (a looping reply is then caught only once it has ended)');
        }
        return true;
      }
      return false;
    },
  };
}
