// jsdom's own types (@types/jsdom) pull the DOM lib into the whole server program, which would let
// server code use `document` unchecked; this is the part of its API the HTML export uses.
declare module 'jsdom' {
  import type { WindowLike } from 'dompurify';
  export class JSDOM {
    constructor(html?: string);
    readonly window: WindowLike & { close(): void };
  }
}
