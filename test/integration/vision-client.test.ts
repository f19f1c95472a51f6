/** The vision client against the model stub over HTTP: streaming, loops stopped, the output bound, and servers that refuse either. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { APIUserAbortError } from 'openai';
import { pino } from 'pino';
import { parseConfig } from '../../src/config.js';
import { createVisionClient, type VisionClient } from '../../src/vision/client.js';
import { VisionError } from '../../src/vision/errors.js';
import { estimateTokens } from '../../src/vision/repetition.js';
import { eventually } from '../helpers/eventually.js';
import { taggedImage } from '../helpers/images.js';
import { startModelStub, streamedBeforeStop, stubMarkdown, type ModelStub, type StubOptions } from '../helpers/model-stub.js';

const stubs: ModelStub[] = [];
after(() => Promise.all(stubs.map((s) => s.close())));

/** A client on its own stub; `warnings` collects what it logs. */
async function clientFor(stubOptions: StubOptions = {}, env: Record<string, string> = {}) {
  const stub = await startModelStub(stubOptions);
  stubs.push(stub);
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(String((JSON.parse(line) as { msg: unknown }).msg)) });
  const cfg = parseConfig({ API_BASE_URL: stub.url, OPENAI_API_KEY: 'sk-test', MODEL: 'stub-model', API_TIMEOUT: '10', ...env }).vision;
  return { stub, warnings, client: createVisionClient(cfg, log) };
}

const recognize = async (client: VisionClient, tag: number, temperature = 0) => client.recognize({ data: await taggedImage(tag), mimeType: 'image/png' }, { temperature });

test('every call streams with usage, carries its temperature and the output bound (MAX_OUTPUT_TOKENS)', async () => {
  const { stub, client } = await clientFor({}, { MAX_OUTPUT_TOKENS: '4000' });
  const reply = await recognize(client, 11, 0.4);
  assert.equal(reply.markdown, stubMarkdown(11));
  assert.deepEqual(reply.usage, { promptTokens: 1000, completionTokens: stubMarkdown(11).length, estimated: false });
  const [call] = stub.calls;
  assert.deepEqual([call?.stream, call?.temperature, call?.outputBound, call?.abandoned], [true, 0.4, { field: 'max_tokens', value: 4000 }, false]);
});

test('a streamed loop is stopped at once: repetition, with the streamed tokens estimated; above temperature 0 it answers', async () => {
  const { stub, client } = await clientFor();
  stub.script([{ kind: 'loop' }, { kind: 'loop' }], 12);
  const error = await recognize(client, 12).catch((e: unknown) => e);
  assert.ok(error instanceof VisionError, String(error));
  assert.equal(error.kind, 'repetition');
  assert.match(error.message, /quad 0/);
  assert.deepEqual(error.usage, { promptTokens: null, completionTokens: estimateTokens(streamedBeforeStop(12)), estimated: true });
  assert.equal((await recognize(client, 12, 0.2)).markdown, stubMarkdown(12));
  assert.deepEqual(stub.calls.map((c) => [c.temperature, c.abandoned]), [[0, true], [0.2, false]]);
});

test('an over-long reply cut at the limit stays truncated, with the tokens it used', async () => {
  const { stub, client } = await clientFor();
  stub.script([{ kind: 'length' }], 13);
  const error = await recognize(client, 13).catch((e: unknown) => e);
  assert.ok(error instanceof VisionError);
  assert.deepEqual([error.kind, error.usage], ['truncated', { promptTokens: 1000, completionTokens: 20, estimated: false }]);
});

test('a server that rejects streaming is asked without it, at once and from then on; logged once', async () => {
  const { stub, client, warnings } = await clientFor({ rejects: ['stream'] });
  stub.script([{ kind: 'loop' }], 15);
  assert.equal((await recognize(client, 14)).markdown, stubMarkdown(14));
  assert.equal((await recognize(client, 16)).markdown, stubMarkdown(16));
  assert.deepEqual(stub.calls.map((c) => [c.tag, c.action, c.stream]), [[14, 'rejected', true], [14, 'ok', false], [16, 'ok', false]]);
  // Not streamed, a loop runs to the output bound; it is still recognised, with the usage reported.
  const loop = await recognize(client, 15).catch((e: unknown) => e);
  assert.ok(loop instanceof VisionError);
  assert.deepEqual([loop.kind, loop.usage], ['repetition', { promptTokens: 1000, completionTokens: 8192, estimated: false }]);
  assert.deepEqual(stub.callsFor(15).map((c) => c.stream), [false]);
  assert.deepEqual(warnings.filter((w) => /streaming/.test(w)).length, 1, warnings.join('\n'));
});

test('a server that rejects max_tokens gets max_completion_tokens from then on; "too large" is no such rejection but output_limit', async () => {
  const { stub, client, warnings } = await clientFor({ rejects: ['max_tokens'] });
  assert.equal((await recognize(client, 17)).markdown, stubMarkdown(17));
  assert.equal((await recognize(client, 18)).markdown, stubMarkdown(18));
  assert.deepEqual(stub.calls.map((c) => [c.action, c.outputBound?.field]),
    [['rejected', 'max_tokens'], ['ok', 'max_completion_tokens'], ['ok', 'max_completion_tokens']]);
  assert.equal(warnings.filter((w) => /max_tokens/.test(w)).length, 1);

  const other = await clientFor();
  other.stub.script([{ kind: 'status', status: 400, message: 'max_tokens is too large: 8192. This model supports at most 4096 completion tokens.' }], 19);
  await assert.rejects(recognize(other.client, 19), (e: unknown) => e instanceof VisionError && e.kind === 'output_limit' && e.scope === 'task');
  assert.deepEqual(other.stub.calls.map((c) => c.outputBound?.field), ['max_tokens'], 'asked once, not again with the other field');
});

test('a server that rejects stream_options still streams, without usage: the reply\'s tokens are estimated; logged once', async () => {
  const { stub, client, warnings } = await clientFor({ rejects: ['stream_options'] });
  stub.script([{ kind: 'loop' }], 24);
  const reply = await recognize(client, 23);
  assert.equal(reply.markdown, stubMarkdown(23));
  assert.deepEqual(reply.usage, { promptTokens: null, completionTokens: estimateTokens(stubMarkdown(23)), estimated: true });
  const loop = await recognize(client, 24).catch((e: unknown) => e);
  assert.ok(loop instanceof VisionError && loop.kind === 'repetition', 'a loop is still stopped as it streams');
  await eventually(() => stub.callsFor(24)[0]?.closedAt, 'the stub to see the stopped stream close');
  assert.deepEqual(stub.calls.map((c) => [c.tag, c.action, c.stream, c.abandoned]),
    [[23, 'rejected', true, false], [23, 'ok', true, false], [24, 'loop', true, true]]);
  assert.equal(warnings.filter((w) => /stream_options/.test(w)).length, 1, warnings.join('\n'));
});

test('cancellation is not a model failure, before the answer or in the middle of its stream', async () => {
  const { stub, client } = await clientFor();
  for (const [tag, action] of [[20, 'hang'], [21, 'stall']] as const) {
    stub.script([{ kind: action }], tag);
    const aborter = new AbortController();
    const call = client.recognize({ data: await taggedImage(tag), mimeType: 'image/png' }, { temperature: 0, signal: aborter.signal });
    for (let i = 0; i < 500 && stub.callsFor(tag).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(stub.callsFor(tag).length, 1, 'the request reached the stub');
    aborter.abort();
    // The SDK ends an aborted stream quietly: it must not pass for a finished (partial) page.
    await assert.rejects(call, (e: unknown) => e instanceof APIUserAbortError, action);
  }
});

test('API_TIMEOUT bounds the whole streamed reply: a stream that stalls is a timeout, its streamed text counted', async () => {
  const { stub, client } = await clientFor({}, { API_TIMEOUT: '1' });
  stub.script([{ kind: 'stall' }], 22);
  const error = await recognize(client, 22).catch((e: unknown) => e);
  assert.ok(error instanceof VisionError, String(error));
  assert.equal(error.kind, 'timeout');
  assert.deepEqual(error.usage, { promptTokens: null, completionTokens: estimateTokens(stubMarkdown(22).slice(0, 16)), estimated: true });
});
