/**
 * An OpenAI-compatible vision model for tests: a real HTTP server on port 0. Its answer is derived
 * from the image it receives (the tag drawn by images.ts), and a script of actions makes it slow,
 * fail, rate-limit, hang, answer empty, stop at the length limit or loop on demand. It streams (SSE)
 * when asked to, and can play a server that rejects `stream` or `max_tokens`.
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { createRepetitionDetector } from '../../src/vision/repetition.js';
import { readTag } from './images.js';

export type StubAction =
  | { kind: 'ok'; delayMs?: number; content?: string }
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  | { kind: 'hang' }
  | { kind: 'empty' }
  | { kind: 'length' }
  /**
   * Degenerate repetition while the temperature is at most `upTo` (default 0), the page's answer
   * above it. Streamed, the loop never ends by itself (until the client hangs up); not streamed, it
   * runs to the request's output bound and ends with finish_reason "length", as a real model does.
   */
  | { kind: 'loop'; upTo?: number }
  /** Streamed: the first STUB_CHUNK_CHARS characters of the answer, then silence (like `hang` unstreamed). */
  | { kind: 'stall' };

/** A parameter this stub's server refuses with a 400 that names it. */
export type StubRejects = 'stream' | 'stream_options' | 'max_tokens';

export interface StubCall {
  tag: number;
  mimeType: string;
  model: string;
  /** The system message's text ('' without one). */
  systemPrompt: string;
  authorization: string | undefined;
  /** The action taken; `rejected`: refused for a parameter in `StubOptions.rejects`, no action used. */
  action: StubAction['kind'] | 'rejected';
  temperature: number | undefined;
  stream: boolean;
  /** The output bound the request carried, in whichever field. */
  outputBound: { field: 'max_tokens' | 'max_completion_tokens'; value: number } | undefined;
  /** The client hung up before the answer was complete (a stopped stream). */
  abandoned: boolean;
  /** The image's size in pixels, read with its tag (undefined when tags are not read). */
  size?: { width: number; height: number };
  /** SHA-1 of the image: which page the call was for, when tags are not read. */
  imageSha1: string;
  /** The image's length in bytes, as decoded from its data URL. */
  imageBytes: number;
  /** Characters of answer text sent: what the model "generated", also for a stopped stream. */
  sentChars: number;
  /** Epoch ms when the request was read, when the answer was sent, and when the connection closed. */
  receivedAt: number;
  answeredAt?: number;
  closedAt?: number;
}

export interface ModelStub {
  /** Base URL as API_BASE_URL takes it (the service appends /v1). */
  url: string;
  calls: StubCall[];
  /** Time before the first token of every answer with text (ok, loop, length, empty); `ok`'s delayMs overrides it. */
  latencyMs: number;
  /** Pace of the answer's text after its first token (0: as fast as the client reads). */
  charsPerSecond: number;
  /** Actions for the next calls, in order (optionally only for calls carrying `tag`); then `ok`. */
  script(actions: StubAction[], tag?: number): void;
  callsFor(tag: number): StubCall[];
  close(): Promise<void>;
}

/** The Markdown the stub answers for a tag: a heading that names it and some math. */
export const stubMarkdown = (tag: number) => `# Page ${tag}\n\nTagged image number ${tag}: $E = mc^2$\n\n$$\\int_0^1 x^{${tag}} \\, dx = \\frac{1}{${tag + 1}}$$`;

/** What a looping answer starts with, then LOOP_UNIT forever. */
export const loopStart = (tag: number) => `# Page ${tag}\n\n`;
export const LOOP_UNIT = '\\quad 0 ';
/** Streamed text comes in chunks of this many characters (about 4 tokens). */
export const STUB_CHUNK_CHARS = 16;
const pieces = (text: string) => text.match(new RegExp(`[\\s\\S]{1,${STUB_CHUNK_CHARS}}`, 'g')) ?? [];

/** What a client has read of the streamed endless loop for `tag` when its repetition check stops it. */
export function streamedBeforeStop(tag: number): string {
  const detector = createRepetitionDetector();
  for (const piece of pieces(loopStart(tag))) detector.push(piece);
  while (!detector.push(LOOP_UNIT));
  return detector.text;
}

/** Usage the stub reports: 1000 prompt tokens a call, a completion token per character. */
const usageOf = (content: string) => ({ prompt_tokens: 1000, completion_tokens: content.length, total_tokens: 1000 + content.length });

function completion(content: string | null, finishReason: string) {
  return {
    id: `chatcmpl-stub-${Date.now()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: 'stub-model',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
    usage: usageOf(content ?? ''),
  };
}

const chunk = (delta: Record<string, string>, finishReason: string | null) => ({
  id: 'chatcmpl-stub', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: 'stub-model',
  choices: [{ index: 0, delta, finish_reason: finishReason }],
});

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

interface ChatBody {
  model?: string;
  messages?: Array<{ role: string; content: unknown }>;
  temperature?: number;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
}

/** The refusals of a server that does not take a parameter, worded as OpenAI words them. */
const REJECTIONS: Record<StubRejects, (body: ChatBody) => string | undefined> = {
  stream: (body) => (body.stream ? "Unsupported value: 'stream' does not support true with this model. Only the default (false) value is supported." : undefined),
  stream_options: (body) => (body.stream_options ? "Unrecognized request argument supplied: stream_options" : undefined),
  max_tokens: (body) => (body.max_tokens !== undefined ? "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead." : undefined),
};

function outputBound(body: ChatBody): StubCall['outputBound'] {
  if (body.max_tokens !== undefined) return { field: 'max_tokens', value: body.max_tokens };
  if (body.max_completion_tokens !== undefined) return { field: 'max_completion_tokens', value: body.max_completion_tokens };
  return undefined;
}

/** The system message's text: a string, or its text parts joined. */
function systemText(body: ChatBody): string {
  const content = body.messages?.find((m) => m.role === 'system')?.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Array<{ type: string; text?: string }>).map((part) => (part.type === 'text' ? part.text ?? '' : '')).join('');
}

/** The data URL of the first image part of the user message, or undefined. */
function findImage(body: ChatBody): { mimeType: string; data: Buffer } | undefined {
  for (const message of body.messages ?? []) {
    if (!Array.isArray(message.content)) continue;
    for (const part of message.content as Array<{ type: string; image_url?: { url: string } }>) {
      const match = part.type === 'image_url' ? /^data:([\w/+.-]+);base64,(.+)$/s.exec(part.image_url?.url ?? '') : null;
      if (match) return { mimeType: match[1]!, data: Buffer.from(match[2]!, 'base64') };
    }
  }
  return undefined;
}

export interface StubOptions {
  /** Decode the tag of every image (default). Benchmarks turn it off: it costs CPU per page. */
  readTags?: boolean;
  /** The page's answer for a tag (default stubMarkdown); -1 when tags are not read. */
  answer?: (tag: number) => string;
  /** The action for a call no script covers (default `ok`): benchmarks choose by image. */
  actionFor?: (call: StubCall) => StubAction | undefined;
  /** Parameters this server refuses with a 400 naming them (as some OpenAI-compatible servers do). */
  rejects?: StubRejects[];
}

/** Writes SSE events; resolves false once the client has gone (a stopped stream). */
function sseWriter(res: http.ServerResponse) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  return async (data: unknown): Promise<boolean> => {
    if (res.destroyed) return false;
    const flushed = res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    // Yield between events so the client's hang-up is noticed, and respect backpressure.
    if (!flushed) await new Promise((resolve) => { res.once('drain', resolve); res.once('close', resolve); });
    else await new Promise((resolve) => setImmediate(resolve));
    return !res.destroyed;
  };
}

export async function startModelStub(opts: StubOptions = {}): Promise<ModelStub> {
  const queues = new Map<number | 'any', StubAction[]>();
  const calls: StubCall[] = [];
  // Aborted on close, so a slow answer still pending cannot keep the test process alive.
  const closing = new AbortController();
  // Every answer waiting out its latency listens to it: hundreds at once under a bench's load.
  setMaxListeners(0, closing.signal);

  const pageAnswer = opts.answer ?? stubMarkdown;
  const nextAction = (call: StubCall): StubAction =>
    queues.get(call.tag)?.shift() ?? queues.get('any')?.shift() ?? opts.actionFor?.(call) ?? { kind: 'ok' };

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      if (req.method === 'GET' && req.url === '/v1/models') return send(res, 200, { object: 'list', data: [{ id: 'stub-model', object: 'model' }] });
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return send(res, 404, { error: { message: 'not found' } });
      const body = (await readJson(req)) as ChatBody;
      const image = findImage(body);
      if (!image) return send(res, 400, { error: { message: 'no image in the request', type: 'invalid_request_error' } });
      const tag = opts.readTags === false ? -1 : await readTag(image.data);
      const size = opts.readTags === false ? undefined : await sharp(image.data).metadata().then(({ width, height }) => ({ width, height }));
      const rejected = (opts.rejects ?? []).map((p) => REJECTIONS[p](body)).find((m) => m !== undefined);
      const call: StubCall = {
        tag, size, mimeType: image.mimeType, model: body.model ?? '', authorization: req.headers.authorization,
        systemPrompt: systemText(body),
        action: 'rejected', temperature: body.temperature, stream: body.stream === true, outputBound: outputBound(body),
        abandoned: false, imageSha1: createHash('sha1').update(image.data).digest('hex'), imageBytes: image.data.length, sentChars: 0, receivedAt: Date.now(),
      };
      const action = rejected === undefined ? nextAction(call) : undefined;
      if (action) call.action = action.kind;
      calls.push(call);
      res.once('finish', () => { call.answeredAt = Date.now(); });
      res.once('close', () => {
        call.closedAt = Date.now();
        if (!res.writableFinished) call.abandoned = true;
      });
      if (!action) return send(res, 400, { error: { message: rejected, type: 'invalid_request_error' } });
      // Never answer; the socket closes with the server.
      if (action.kind === 'hang' || (action.kind === 'stall' && !body.stream)) return;
      if (action.kind === 'status') {
        return send(res, action.status, { error: { message: action.message ?? `stub error ${action.status}`, type: 'stub_error' } },
          action.retryAfter ? { 'retry-after': action.retryAfter } : {});
      }
      if (action.kind !== 'stall') await sleep(action.kind === 'ok' ? action.delayMs ?? stub.latencyMs : stub.latencyMs, undefined, { signal: closing.signal });
      const looping = action.kind === 'loop' && (body.temperature ?? 0) <= (action.upTo ?? 0);
      const answer: { content: string; finish: string } =
        action.kind === 'empty' ? { content: '', finish: 'stop' }
          : action.kind === 'length' ? { content: pageAnswer(tag).slice(0, 20), finish: 'length' }
            : action.kind === 'ok' ? { content: action.content ?? pageAnswer(tag), finish: 'stop' }
              : looping ? { content: loopStart(tag), finish: 'length' }
                : { content: pageAnswer(tag), finish: 'stop' };
      // Text paced at charsPerSecond from the first token on: `sent` characters are due this long after it.
      const firstToken = Date.now();
      const paced = async (sent: number) => {
        if (stub.charsPerSecond > 0) await sleep(firstToken + (sent / stub.charsPerSecond) * 1000 - Date.now(), undefined, { signal: closing.signal });
      };
      if (!body.stream) {
        if (looping) {
          const bound = outputBound(body)?.value ?? 4096;
          answer.content = (answer.content + LOOP_UNIT.repeat(bound)).slice(0, bound);
        }
        await paced(answer.content.length);
        call.sentChars = answer.content.length;
        return send(res, 200, completion(answer.content, answer.finish));
      }
      const write = sseWriter(res);
      if (action.kind === 'stall') {
        await write(chunk({ role: 'assistant', content: stubMarkdown(tag).slice(0, STUB_CHUNK_CHARS) }, null));
        return;
      }
      let sent = '';
      if (!(await write(chunk({ role: 'assistant', content: '' }, null)))) return;
      const emit = async (piece: string): Promise<boolean> => {
        await paced(sent.length + piece.length);
        if (!(await write(chunk({ content: piece }, null)))) return false;
        sent += piece;
        call.sentChars = sent.length;
        return true;
      };
      for (const piece of pieces(answer.content)) if (!(await emit(piece))) return;
      // The loop goes on until the client hangs up (or, as a guard against a runaway test, 1M characters).
      while (looping && sent.length < 1_000_000) if (!(await emit(LOOP_UNIT))) return;
      await write(chunk({}, answer.finish));
      if (body.stream_options?.include_usage) await write({ ...chunk({}, null), choices: [], usage: usageOf(sent) });
      await write('[DONE]');
      res.end();
    })().catch((err: unknown) => {
      if (!closing.signal.aborted) send(res, 500, { error: { message: String(err) } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const stub: ModelStub = {
    url: `http://127.0.0.1:${port}`,
    calls,
    latencyMs: 0,
    charsPerSecond: 0,
    script(actions, tag) {
      const key = tag ?? 'any';
      queues.set(key, [...(queues.get(key) ?? []), ...actions]);
    },
    callsFor: (tag) => calls.filter((c) => c.tag === tag),
    close: () => new Promise<void>((resolve) => {
      closing.abort();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
  return stub;
}
