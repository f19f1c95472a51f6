/**
 * An OpenAI-compatible vision model for tests: a real HTTP server on port 0. Its answer is derived
 * from the image it receives (the tag drawn by images.ts), and a script of actions makes it slow,
 * fail, rate-limit, hang, answer empty or stop at the length limit on demand.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { readTag } from './images.js';

export type StubAction =
  | { kind: 'ok'; delayMs?: number; content?: string }
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  | { kind: 'hang' }
  | { kind: 'empty' }
  | { kind: 'length' };

export interface StubCall {
  tag: number;
  mimeType: string;
  model: string;
  authorization: string | undefined;
  action: StubAction['kind'];
  /** Epoch ms when the request was read, and when the answer was sent. */
  receivedAt: number;
  answeredAt?: number;
}

export interface ModelStub {
  /** Base URL as API_BASE_URL takes it (the service appends /v1). */
  url: string;
  calls: StubCall[];
  /** Default latency of successful answers. */
  latencyMs: number;
  /** Actions for the next calls, in order (optionally only for calls carrying `tag`); then `ok`. */
  script(actions: StubAction[], tag?: number): void;
  callsFor(tag: number): StubCall[];
  close(): Promise<void>;
}

/** The Markdown the stub answers for a tag: a heading that names it and some math. */
export const stubMarkdown = (tag: number) => `# Page ${tag}\n\nTagged image number ${tag}: $E = mc^2$\n\n$$\\int_0^1 x^{${tag}} \\, dx = \\frac{1}{${tag + 1}}$$`;

function completion(content: string | null, finishReason: string) {
  return {
    id: `chatcmpl-stub-${Date.now()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: 'stub-model',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
    usage: { prompt_tokens: 1000, completion_tokens: content ? content.length : 0, total_tokens: 1000 + (content?.length ?? 0) },
  };
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

interface ChatBody { model?: string; messages?: Array<{ role: string; content: unknown }> }

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
}

export async function startModelStub(opts: StubOptions = {}): Promise<ModelStub> {
  const queues = new Map<number | 'any', StubAction[]>();
  const calls: StubCall[] = [];
  // Aborted on close, so a slow answer still pending cannot keep the test process alive.
  const closing = new AbortController();

  const nextAction = (tag: number): StubAction => queues.get(tag)?.shift() ?? queues.get('any')?.shift() ?? { kind: 'ok' };

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
      const action = nextAction(tag);
      const call: StubCall = { tag, mimeType: image.mimeType, model: body.model ?? '', authorization: req.headers.authorization, action: action.kind, receivedAt: Date.now() };
      calls.push(call);
      res.once('finish', () => { call.answeredAt = Date.now(); });
      switch (action.kind) {
        case 'hang':
          return; // never answer; the socket closes with the server
        case 'status':
          return send(res, action.status, { error: { message: action.message ?? `stub error ${action.status}`, type: 'stub_error' } },
            action.retryAfter ? { 'retry-after': action.retryAfter } : {});
        case 'empty':
          return send(res, 200, completion('', 'stop'));
        case 'length':
          return send(res, 200, completion(`${stubMarkdown(tag).slice(0, 20)}`, 'length'));
        case 'ok':
          await sleep(action.delayMs ?? stub.latencyMs, undefined, { signal: closing.signal });
          return send(res, 200, completion(action.content ?? stubMarkdown(tag), 'stop'));
      }
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
