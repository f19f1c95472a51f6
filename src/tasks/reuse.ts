/**
 * Page-level result reuse: a page read once is not paid for twice. A page's answer is shaped by the
 * file (its sha256: never a weaker hash, colliding SHA-1 and MD5 file pairs exist), the page, the
 * model, the full prompt text and how the page was drawn and encoded; a completed page stores the
 * hash of all of them, and a later page of any task with the same hash copies its result instead
 * of rendering and calling the model. Failed pages are never reused (they have no content), and a
 * deleted task's pages, key included, go with it.
 */
import { createHash } from 'node:crypto';
import type { RenderOptions } from '../pdf/pool.js';
import { systemPrompt, USER_PROMPT } from '../vision/prompt.js';

export interface ReuseInputs {
  fileSha256: string;
  pageNumber: number;
  model: string;
  /** The task's extra instructions (its `prompt` option). */
  instructions?: string;
  images: RenderOptions;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function reuseKey({ fileSha256, pageNumber, model, instructions, images }: ReuseInputs): string {
  const prompt = sha256(JSON.stringify([systemPrompt(instructions), USER_PROMPT]));
  const drawn = [images.dpi, images.maxSide, images.encoding.format, images.encoding.quality];
  return sha256(JSON.stringify(['page-result-v1', fileSha256, pageNumber, model, prompt, drawn]));
}
