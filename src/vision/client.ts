/** The OpenAI-compatible vision client: one image in, checked Markdown out, failures as VisionError. */
import OpenAI from 'openai';
import type { PageWarning } from '../contract/index.js';
import { PLACEHOLDER_API_KEY, type Config } from '../config.js';
import { classifyVisionError, VisionError } from './errors.js';
import { SYSTEM_PROMPT, USER_PROMPT } from './prompt.js';
import { checkAnswer } from './answer.js';

/** Image types OpenAI-compatible vision APIs accept as data URLs; others are converted to PNG first. */
export const ACCEPTED_IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);

export interface ImageInput {
  data: Buffer;
  /** One the API accepts: image/png, image/jpeg, image/webp or image/gif. */
  mimeType: string;
}

export interface VisionReply {
  markdown: string;
  /** The clean-ups checkAnswer applied to the reply. */
  warnings: PageWarning[];
  promptTokens: number | null;
  completionTokens: number | null;
}

export interface VisionClient {
  recognize(image: ImageInput, signal?: AbortSignal): Promise<VisionReply>;
}

export function createVisionClient(cfg: Config['vision']): VisionClient {
  const client = new OpenAI({
    apiKey: cfg.apiKey,
    baseURL: cfg.baseUrl,
    timeout: cfg.timeoutMs,
    // Retries belong to the page loop (which honours Retry-After and cancellation) and to Temporal.
    maxRetries: 0,
  });
  const ctx = { baseUrl: cfg.baseUrl, model: cfg.model };
  // OpenAI always answers 401 to the old service's placeholder key; say so at once instead of asking.
  const placeholderKey = cfg.apiKey === PLACEHOLDER_API_KEY && new URL(cfg.baseUrl).hostname === 'api.openai.com';

  return {
    async recognize(image, signal) {
      if (placeholderKey) {
        throw new VisionError('auth', `OPENAI_API_KEY is not set (it is the placeholder ${PLACEHOLDER_API_KEY}): set it to your key for ${cfg.baseUrl}, or set API_BASE_URL to your own OpenAI-compatible server`);
      }
      let completion: OpenAI.Chat.Completions.ChatCompletion;
      try {
        completion = await client.chat.completions.create(
          {
            model: cfg.model,
            temperature: 0,
            messages: [
              { role: 'system', content: SYSTEM_PROMPT },
              {
                role: 'user',
                content: [
                  { type: 'text', text: USER_PROMPT },
                  { type: 'image_url', image_url: { url: `data:${image.mimeType};base64,${image.data.toString('base64')}` } },
                ],
              },
            ],
          },
          { signal },
        );
      } catch (err) {
        throw classifyVisionError(err, ctx);
      }
      const choice = completion.choices?.[0];
      if (choice?.finish_reason === 'length') {
        throw new VisionError('truncated', 'the model stopped at its output limit (finish_reason "length"), so the page would be cut off');
      }
      if (choice?.finish_reason === 'content_filter') {
        throw new VisionError('content_filtered', 'the model service withheld its answer for this page (finish_reason "content_filter")');
      }
      const text = choice?.message?.content;
      if (typeof text !== 'string' || text.trim() === '') {
        throw new VisionError('empty_reply', 'the model returned an empty reply');
      }
      // Throws for a refusal: the retry loop asks again, and a last refusal fails the page.
      const { markdown, warnings } = checkAnswer(text);
      return {
        markdown,
        warnings,
        promptTokens: completion.usage?.prompt_tokens ?? null,
        completionTokens: completion.usage?.completion_tokens ?? null,
      };
    },
  };
}
