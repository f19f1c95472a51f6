/**
 * A page's image goes into the request body as bytes, never as one JavaScript string. As a data URL
 * in the request's JSON, a 460 KB page became three strings of 620 KB each (the base64, the URL,
 * the JSON body) and a fourth copy as bytes for the socket: large-object garbage that only a full
 * collection frees, so the worker grew by 130 MB while it sent a 64-page scan (bench scan-heavy)
 * and settled ever higher under a day's load (bench mixed).
 *
 * So the JSON the SDK builds holds a short placeholder for the image, and the client's fetch
 * (ClientOptions.fetch) writes the base64 in its place straight into the body's bytes, in pieces
 * small enough to die young.
 */
import { randomUUID } from 'node:crypto';
import type { ImageInput } from './client.js';

type Fetch = typeof globalThis.fetch;

/** Bytes of input per piece: a multiple of 3, so no piece but the last has padding; 64 KB of base64. */
const PIECE = 48 * 1024;

/** Length of the base64 of `bytes` bytes. */
const base64Length = (bytes: number) => Math.ceil(bytes / 3) * 4;

/** Writes the base64 of `data` into `target` at `offset`; the offset after it. */
export function writeBase64(target: Buffer, offset: number, data: Uint8Array): number {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let at = offset;
  for (let start = 0; start < bytes.length; start += PIECE) {
    at += target.write(bytes.subarray(start, start + PIECE).toString('base64'), at, 'latin1');
  }
  return at;
}

/** The body `json` with the base64 of `data` where `placeholder` is. */
export function spliceImage(json: string, placeholder: string, data: Uint8Array): Buffer {
  const at = json.indexOf(placeholder);
  if (at < 0) throw new Error('the request body has lost its image placeholder');
  const before = json.slice(0, at);
  const after = json.slice(at + placeholder.length);
  const head = Buffer.byteLength(before, 'utf8');
  const body = Buffer.allocUnsafeSlow(head + base64Length(data.length) + Buffer.byteLength(after, 'utf8'));
  body.write(before, 0, 'utf8');
  const end = writeBase64(body, head, data);
  body.write(after, end, 'utf8');
  return body;
}

export interface ImageBodies {
  /**
   * A data URL that stands for the image in a request until `release`: the fetch below puts the
   * image's base64 in its place.
   */
  hold(image: ImageInput): { url: string; release(): void };
  /** The fetch the OpenAI client is given. */
  fetch: Fetch;
}

export function createImageBodies(fetch: Fetch = globalThis.fetch): ImageBodies {
  const held = new Map<string, Uint8Array>();
  return {
    hold(image) {
      // Letters, digits and dashes: JSON writes them as they are.
      const placeholder = `ocr-image-${randomUUID()}`;
      held.set(placeholder, image.data);
      return { url: `data:${image.mimeType};base64,${placeholder}`, release: () => held.delete(placeholder) };
    },
    fetch: (input, init) => {
      const json = init?.body;
      if (typeof json === 'string') {
        const placeholder = /ocr-image-[0-9a-f-]{36}/.exec(json)?.[0];
        const data = placeholder && held.get(placeholder);
        if (placeholder && data) return fetch(input, { ...init, body: spliceImage(json, placeholder, data) });
      }
      return fetch(input, init);
    },
  };
}
