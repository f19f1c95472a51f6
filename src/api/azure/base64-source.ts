/**
 * An Azure analyze request's JSON body, `{"base64Source": "…"}`, decoded to the document's bytes as
 * it streams: a 200 MB PDF arrives as 270 MB of base64, which is never held in memory nor parsed
 * as one string. Only the top level is read; other members are skipped, and a `urlSource` is noted
 * (the route refuses it). The decoder never fails its stream: a malformed or oversized body is
 * recorded in `outcome()` and the rest is read and dropped, so that the client still gets its answer.
 */
import { Transform } from 'node:stream';

export interface Base64SourceOutcome {
  base64Source: boolean;
  urlSource: boolean;
  /** What is wrong with the body; `tooLarge`: it went over the limit. */
  problem?: { tooLarge: boolean; message: string };
}

export interface Base64SourceDecoder { stream: Transform; outcome(): Base64SourceOutcome }

type State = 'open' | 'firstKey' | 'nextKey' | 'key' | 'colon' | 'value' | 'base64' | 'string' | 'nested' | 'scalar' | 'afterValue' | 'end';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
/** Standard base64 (RFC 4648 §4), padding included; JSON escapes are handled before this. */
const NOT_BASE64 = /[^A-Za-z0-9+/=]/;
/** Keys we look for are short; a longer one is kept only this far (it is none of ours). */
const MAX_KEY = 64;

/** `maxBodyBytes`: the most JSON read before the body counts as too large. */
export function createBase64SourceDecoder(maxBodyBytes: number): Base64SourceDecoder {
  const seen = { base64Source: false, urlSource: false };
  let problem: Base64SourceOutcome['problem'];
  let state: State = 'open';
  let key = '';
  let escaped = false;
  let depth = 0;
  let inString = false;
  /** Base64 characters not yet decoded: fewer than 4, or a group still arriving. */
  let pending = '';
  let received = 0;

  const fail = (message: string, tooLarge = false) => { problem ??= { tooLarge, message }; };

  /** Decodes whole groups of 4 characters; the rest waits for the next chunk (or the closing quote). */
  function decode(chars: string, final: boolean): Buffer | undefined {
    pending += chars;
    const whole = final ? pending.length : pending.length - (pending.length % 4);
    if (whole === 0) return undefined;
    const bytes = Buffer.from(pending.slice(0, whole), 'base64');
    pending = pending.slice(whole);
    return bytes;
  }

  /** The rest of a base64 string from `i`: up to its closing quote or a backslash. */
  function base64Run(chunk: Buffer, i: number, push: (b: Buffer) => void): number {
    let end = i;
    while (end < chunk.length && chunk[end] !== QUOTE && chunk[end] !== BACKSLASH) end++;
    const chars = chunk.toString('latin1', i, end);
    if (NOT_BASE64.test(chars)) {
      fail('base64Source is not base64 (expected A–Z, a–z, 0–9, "+", "/" and "=" padding)');
      return chunk.length;
    }
    const bytes = decode(chars, false);
    if (bytes) push(bytes);
    return end;
  }

  /** One byte outside a base64 run. */
  function step(b: number, push: (b: Buffer) => void): void {
    switch (state) {
      case 'open':
        if (b === 0x7b) state = 'firstKey';
        else if (!isSpace(b)) fail('expected a JSON object such as {"base64Source": "…"}');
        return;
      case 'firstKey': case 'nextKey':
        if (b === QUOTE) { state = 'key'; key = ''; } else if (b === 0x7d && state === 'firstKey') state = 'end';
        else if (!isSpace(b)) fail('expected a member name in double quotes');
        return;
      case 'key':
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) { state = 'colon'; return; }
        if (key.length < MAX_KEY) key += String.fromCharCode(b);
        return;
      case 'colon':
        if (b === 0x3a) state = 'value';
        else if (!isSpace(b)) fail('expected ":" after a member name');
        return;
      case 'value':
        if (isSpace(b)) return;
        if (key === 'base64Source') {
          if (seen.base64Source) return fail('base64Source is given twice');
          if (b !== QUOTE) return fail('base64Source must be a string');
          seen.base64Source = true;
          state = 'base64';
          return;
        }
        if (key === 'urlSource') seen.urlSource = true;
        if (b === QUOTE) state = 'string';
        else if (b === 0x7b || b === 0x5b) { state = 'nested'; depth = 1; inString = false; } else state = 'scalar';
        return;
      case 'base64':
        // Only escapes reach here: JSON may write "/" as "\/", and MIME-style base64 breaks lines ("\n").
        if (!escaped) {
          if (b === BACKSLASH) { escaped = true; return; }
          // the closing quote
          const rest = decode('', true);
          if (rest) push(rest);
          state = 'afterValue';
          return;
        }
        escaped = false;
        if (b === 0x2f) {
          const bytes = decode('/', false);
          if (bytes) push(bytes);
        } else if (b !== 0x6e && b !== 0x72 && b !== 0x74) fail('base64Source holds an escape that is not base64');
        return;
      case 'string':
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) state = 'afterValue';
        return;
      case 'nested':
        if (inString) {
          if (escaped) escaped = false;
          else if (b === BACKSLASH) escaped = true;
          else if (b === QUOTE) inString = false;
        } else if (b === QUOTE) inString = true;
        else if (b === 0x7b || b === 0x5b) depth++;
        else if ((b === 0x7d || b === 0x5d) && --depth === 0) state = 'afterValue';
        return;
      case 'scalar':
        // true, false, null or a number: read to its end
        if (b === 0x2c) state = 'nextKey';
        else if (b === 0x7d) state = 'end';
        else if (isSpace(b)) state = 'afterValue';
        return;
      case 'afterValue':
        if (b === 0x2c) state = 'nextKey';
        else if (b === 0x7d) state = 'end';
        else if (!isSpace(b)) fail('expected "," or "}" after a value');
        return;
      case 'end':
        if (!isSpace(b)) fail('expected nothing after the JSON object');
        return;
    }
  }

  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (received > maxBodyBytes) fail(`the JSON body is larger than ${Math.floor(maxBodyBytes / (1024 * 1024))} MB`, true);
      const push = (bytes: Buffer) => { if (!problem) this.push(bytes); };
      for (let i = 0; i < chunk.length && !problem;) {
        if (state === 'base64' && !escaped) {
          i = base64Run(chunk, i, push);
          if (i < chunk.length) step(chunk[i++]!, push);
        } else step(chunk[i++]!, push);
      }
      done();
    },
    flush(done) {
      if (state !== 'end') fail('the JSON body ends before its object does');
      done();
    },
  });
  return { stream, outcome: () => ({ ...seen, ...(problem ? { problem } : {}) }) };
}
