/**
 * The OpenAI-compatible vision client: one image in, checked Markdown out, failures as VisionError.
 * Replies are streamed, so a model caught in a loop is stopped as soon as the loop shows
 * (repetition.ts) instead of running to its output limit; what a server cannot take (streaming,
 * `max_tokens`) it is asked without from then on (server-features.ts).
 */
import OpenAI, { APIUserAbortError } from 'openai';
import type { Logger } from 'pino';
import { PLACEHOLDER_API_KEY, type Config } from '../config.js';
import { classifyVisionError, NO_USAGE, VisionError, type TokenUsage } from './errors.js';
import type { PageWarning } from '../contract/index.js';
import { checkAnswer } from './answer.js';
import { systemPrompt, USER_PROMPT } from './prompt.js';
import { createRepetitionDetector, estimateTokens, findRepetition, type Repetition } from './repetition.js';
import { createServerFeatures, type ServerFeatures } from './server-features.js';
import { createImageBodies } from './image-body.js';


export interface ImageInput {
  data: Buffer;
  /** One the API accepts: image/png, image/jpeg, image/webp or image/gif. */
  mimeType: string;
}

/** What a task chose for its calls (its options): a model of MODELS, instructions for the system prompt. */
export interface CallOptions {
  /** Default: MODEL. */
  model?: string;
  /** Added to the system prompt (systemPrompt in prompt.ts). */
  instructions?: string;
}

export interface RecognizeOptions extends CallOptions {
  signal?: AbortSignal;
  /** Sampling temperature of this call (the retry loop raises it after bad answers). */
  temperature: number;
}

export interface VisionReply {
  markdown: string;
  /** The clean-ups answer.ts applied to the reply. */
  warnings: PageWarning[];
  usage: TokenUsage;
}

export interface VisionClient {
  recognize(image: ImageInput, options: RecognizeOptions): Promise<VisionReply>;
}

/** What a call brought back, streamed or not, before it is judged. */
interface Answer {
  text: string;
  finishReason: string | null;
  usage: TokenUsage;
}

type ChatParams = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
type StreamedChatParams = OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming;

const reportedUsage = (usage: OpenAI.CompletionUsage | null | undefined): TokenUsage =>
  usage ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens, estimated: false } : NO_USAGE;

/** The tokens of text the model wrote before the call ended without a usage report. */
const streamedUsage = (text: string): TokenUsage =>
  text === '' ? NO_USAGE : { promptTokens: null, completionTokens: estimateTokens(text), estimated: true };

function repetitionError(loop: Repetition, usage: TokenUsage): VisionError {
  const unit = JSON.stringify(loop.unit.length > 40 ? `${loop.unit.slice(0, 40)}…` : loop.unit);
  const error = new VisionError('repetition', `the model got stuck repeating ${unit} (${loop.repeats} times at the end of its reply) and was stopped`);
  error.usage = usage;
  return error;
}

/**
 * Judges a finished answer: a loop, a cut-off, a withheld or an empty reply fail, and so does a
 * refusal (answer.ts); the rest is the page, with the clean-ups answer.ts applied.
 */
function judgeAnswer(answer: Answer): VisionReply {
  const fail = (error: VisionError): never => {
    error.usage = answer.usage;
    throw error;
  };
  const loop = findRepetition(answer.text);
  if (loop) throw repetitionError(loop, answer.usage);
  if (answer.finishReason === 'length') {
    fail(new VisionError('truncated', 'the model stopped at its output limit (finish_reason "length", MAX_OUTPUT_TOKENS), so the page would be cut off'));
  }
  if (answer.finishReason === 'content_filter') {
    fail(new VisionError('content_filtered', 'the model service withheld its answer for this page (finish_reason "content_filter")'));
  }
  if (answer.text.trim() === '') fail(new VisionError('empty_reply', 'the model returned an empty reply'));
  try {
    return { ...checkAnswer(answer.text), usage: answer.usage };
  } catch (err) {
    if (err instanceof VisionError) fail(err);
    throw err;
  }
}

export function createVisionClient(cfg: Config['vision'], log: Logger): VisionClient {
  const images = createImageBodies();
  const client = new OpenAI({
    apiKey: cfg.apiKey,
    baseURL: cfg.baseUrl,
    // The SDK's timeout ends at the response headers; `deadline` below bounds a whole streamed reply.
    timeout: cfg.timeoutMs,
    // Retries belong to the page loop (which honours Retry-After and cancellation) and to Temporal.
    maxRetries: 0,
    fetch: images.fetch,
  });
  const ctx = { baseUrl: cfg.baseUrl, model: cfg.model, maxOutputTokens: cfg.maxOutputTokens };
  const features: ServerFeatures = createServerFeatures(cfg, log);
  // OpenAI always answers 401 to the old service's placeholder key; say so at once instead of asking.
  const placeholderKey = cfg.apiKey === PLACEHOLDER_API_KEY && new URL(cfg.baseUrl).hostname === 'api.openai.com';

  /** `imageUrl`: the image's data URL, or what stands for it (image-body.ts). */
  function params(imageUrl: string, temperature: number, { model, instructions }: CallOptions): ChatParams {
    return {
      model: model ?? cfg.model,
      temperature,
      ...features.outputBound(),
      messages: [
        { role: 'system', content: systemPrompt(instructions) },
        {
          role: 'user',
          content: [
            { type: 'text', text: USER_PROMPT },
            { type: 'image_url', image_url: { url: imageUrl } },
          ],
        },
      ],
    };
  }

  async function askWhole(body: ChatParams, signal: AbortSignal): Promise<Answer> {
    const completion = await client.chat.completions.create(body, { signal });
    const choice = completion.choices?.[0];
    const text = choice?.message?.content;
    return { text: typeof text === 'string' ? text : '', finishReason: choice?.finish_reason ?? null, usage: reportedUsage(completion.usage) };
  }

  /** Streams the reply, stopping the call the moment it ends in a loop. `seen` keeps what arrived. */
  async function askStreamed(body: StreamedChatParams, signal: AbortSignal, seen: { text: string }): Promise<Answer> {
    const stream = await client.chat.completions.create(body, { signal });
    const detector = createRepetitionDetector();
    let finishReason: string | null = null;
    let usage: TokenUsage = NO_USAGE;
    for await (const chunk of stream) {
      if (chunk.usage) usage = reportedUsage(chunk.usage);
      const choice = chunk.choices?.[0];
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      const delta = choice?.delta?.content;
      if (!delta) continue;
      const loop = detector.push(delta);
      seen.text = detector.text;
      // Leaving the loop by throwing closes the stream, which aborts the request.
      if (loop) throw repetitionError(loop, streamedUsage(detector.text));
    }
    // A server that sends no usage (it ignores include_usage, or refused it) still billed the reply.
    return { text: detector.text, finishReason, usage: usage === NO_USAGE ? streamedUsage(detector.text) : usage };
  }

  /** One call, its features chosen by what the server has accepted so far. */
  async function ask(image: ImageInput, temperature: number, call: CallOptions, signal: AbortSignal, seen: { text: string }): Promise<Answer> {
    const held = images.hold(image);
    try {
      return await askHolding(held.url, temperature, call, signal, seen);
    } finally {
      held.release();
    }
  }

  async function askHolding(imageUrl: string, temperature: number, call: CallOptions, signal: AbortSignal, seen: { text: string }): Promise<Answer> {
    for (;;) {
      const whole = params(imageUrl, temperature, call);
      const streamed = features.streaming;
      const body = streamed ? { ...whole, stream: true as const, ...features.streamOptions() } : whole;
      try {
        return body.stream ? await askStreamed(body, signal, seen) : await askWhole(whole, signal);
      } catch (err) {
        // A server that refuses a feature is asked again without it, now and from then on.
        if (!features.dropRejected(err, { streamed, body })) throw err;
      }
    }
  }

  return {
    async recognize(image, { signal, temperature, model, instructions }) {
      if (placeholderKey) {
        throw new VisionError('auth', `OPENAI_API_KEY is not set (it is the placeholder ${PLACEHOLDER_API_KEY}): set it to your key for ${cfg.baseUrl}, or set API_BASE_URL to your own OpenAI-compatible server`);
      }
      // API_TIMEOUT bounds the whole call, streamed body included. The SDK's stream ends quietly when
      // its signal aborts, so after every call the signals say whether it was cut short, and why.
      // One controller for both causes, its timer and listener dropped when the call ends: a timer
      // left to run for API_TIMEOUT after each call would keep the call's objects alive that long.
      const call = new AbortController();
      const deadline = setTimeout(() => call.abort(), cfg.timeoutMs);
      const cancel = () => call.abort();
      signal?.addEventListener('abort', cancel, { once: true });
      if (signal?.aborted) cancel();
      const seen = { text: '' };
      const cutShort = (): Error | undefined => {
        if (signal?.aborted) return new APIUserAbortError();
        if (!call.signal.aborted) return undefined;
        const error = new VisionError('timeout', 'no complete answer within API_TIMEOUT (raise it for slow models)');
        error.usage = streamedUsage(seen.text);
        return error;
      };
      let answer: Answer;
      try {
        answer = await ask(image, temperature, { model, instructions }, call.signal, seen);
      } catch (err) {
        const cut = cutShort();
        if (cut) throw cut;
        const error = classifyVisionError(err, { ...ctx, model: model ?? ctx.model });
        if (error instanceof VisionError && error.usage === NO_USAGE) error.usage = streamedUsage(seen.text);
        throw error;
      } finally {
        clearTimeout(deadline);
        signal?.removeEventListener('abort', cancel);
      }
      const cut = cutShort();
      if (cut) throw cut;
      return judgeAnswer(answer);
    },
  };
}
