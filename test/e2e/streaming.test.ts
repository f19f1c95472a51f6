/**
 * Model calls through the whole stack: streamed replies, loops stopped and retried at a higher
 * temperature, replies cut at the output bound, and servers that refuse streaming or max_tokens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { estimateTokens } from '../../src/vision/repetition.js';
import { taggedImage } from '../helpers/images.js';
import { streamedBeforeStop, stubMarkdown, type StubAction, type StubOptions } from '../helpers/model-stub.js';
import { getJson, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';

interface Page { page_number: number; status: string; content?: string; error_class: string | null; prompt_tokens: number | null; completion_tokens: number | null; tokens_estimated: boolean }
interface Task { status: string; error_code: string | null; error_message: string | null; page_results: Page[]; usage: { prompt_tokens: number; completion_tokens: number; estimated: boolean } }

async function runImage(stack: Stack, tag: number, actions: StubAction[] = []): Promise<{ task: Task; page: Page }> {
  stack.stub.script(actions, tag);
  const { status, body } = await postFile(`${stack.api}/api/async/image`, await taggedImage(tag), `page-${tag}.png`);
  assert.equal(status, 200, JSON.stringify(body));
  const id = String(body.task_id);
  await waitForTask(stack, id);
  const task = (await getJson<{ data: Task }>(`${stack.api}/api/tasks/${id}`)).body.data;
  // An image's content is the task's (its page summary carries none).
  const content = (await getJson<{ data: { content: string } }>(`${stack.api}/api/tasks/${id}/result`)).body.data.content;
  return { task, page: { ...task.page_results[0]!, content } };
}

/** One series of the stack's Prometheus text (0 when absent). */
async function metric(stack: Stack, series: string): Promise<number> {
  const text = await (await fetch(`${stack.api}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** The stub counts 1000 prompt tokens a call and a completion token per character. */
const loopTokens = (tag: number) => estimateTokens(streamedBeforeStop(tag));

describe('a model that loops or runs long (MAX_RETRIES=3)', () => {
  let stack: Stack;
  before(async () => { stack = await startStack(); });
  after(() => stack?.stop());

  test('a loop at temperature 0 is stopped, and the page completes at the next temperature, its tokens counting both calls', async () => {
    const tag = 301;
    const { task, page } = await runImage(stack, tag, [{ kind: 'loop' }, { kind: 'loop' }]);
    assert.deepEqual([task.status, page.status, page.content], ['completed', 'completed', stubMarkdown(tag)]);
    const calls = stack.stub.callsFor(tag);
    assert.deepEqual(calls.map((c) => [c.stream, c.temperature, c.abandoned]), [[true, 0, true], [true, 0.2, false]],
      'the looping call was cut off by the client, the second asked warmer');
    // The stopped call: its completion estimated from what streamed, its prompt as the other call's.
    assert.deepEqual([page.prompt_tokens, page.completion_tokens], [2000, loopTokens(tag) + stubMarkdown(tag).length]);
    assert.deepEqual([task.usage.prompt_tokens, task.usage.completion_tokens], [2000, loopTokens(tag) + stubMarkdown(tag).length]);
    assert.deepEqual([page.tokens_estimated, task.usage.estimated], [true, true], 'the count says it is partly estimated');
  });

  test('a page that loops at every temperature fails with error class repetition after 3 calls, all counted', async () => {
    const tag = 302;
    const series = 'ocr_model_tokens_total{kind="completion",model="stub-model",outcome="repetition"}';
    const outcome = 'ocr_model_call_duration_seconds_count{outcome="repetition"}';
    const [tokensBefore, repetitionsBefore] = [await metric(stack, series), await metric(stack, outcome)];
    const loop: StubAction = { kind: 'loop', upTo: 1 };
    const { task, page } = await runImage(stack, tag, [loop, loop, loop]);
    assert.deepEqual([task.status, page.status, page.error_class, page.content], ['failed', 'failed', 'repetition', '']);
    assert.deepEqual(stack.stub.callsFor(tag).map((c) => [c.temperature, c.abandoned]), [[0, true], [0.2, true], [0.4, true]]);
    // No call lived to report usage: the completion is estimated, the prompt unknown.
    assert.deepEqual([page.prompt_tokens, page.completion_tokens, page.tokens_estimated], [null, 3 * loopTokens(tag), true]);
    assert.deepEqual([task.usage.completion_tokens, task.usage.estimated], [3 * loopTokens(tag), true], 'the failed page\'s calls are in the task\'s usage');
    assert.equal(await metric(stack, series) - tokensBefore, 3 * loopTokens(tag), 'the stopped calls\' estimated tokens are in the metric');
    assert.equal(await metric(stack, outcome) - repetitionsBefore, 3);
  });

  test('a reply cut at the output bound stays truncated, retried warmer each time, with the bound sent every call', async () => {
    const tag = 303;
    const { page } = await runImage(stack, tag, [{ kind: 'length' }, { kind: 'length' }, { kind: 'length' }]);
    assert.deepEqual([page.status, page.error_class], ['failed', 'truncated']);
    assert.deepEqual(stack.stub.callsFor(tag).map((c) => [c.temperature, c.outputBound]),
      [0, 0.2, 0.4].map((t) => [t, { field: 'max_tokens', value: 8192 }]));
  });

  test('an output bound above what the model allows fails the task at once, saying to lower MAX_OUTPUT_TOKENS', async () => {
    const tag = 304;
    const tooLarge: StubAction = { kind: 'status', status: 400, message: 'max_tokens is too large: 8192. This model supports at most 4096 completion tokens, whereas you provided 8192.' };
    const { task, page } = await runImage(stack, tag, [tooLarge]);
    assert.deepEqual([task.status, task.error_code, page.error_class], ['failed', 'output_limit', 'output_limit']);
    assert.match(task.error_message ?? '', /lower MAX_OUTPUT_TOKENS \(now 8192\)/);
    assert.equal(stack.stub.callsFor(tag).length, 1, 'not retried: every call would be refused alike');
  });
});

/** Two pages on a stack whose stub refuses `rejects`: the first finds out, the second asks right. */
async function twoPagesAgainst(stub: StubOptions, tags: [number, number]) {
  const stack = await startStack({ stub });
  try {
    const pages = [(await runImage(stack, tags[0])).page, (await runImage(stack, tags[1])).page];
    return { pages, calls: tags.map((t) => stack.stub.callsFor(t)) };
  } finally {
    await stack.stop();
  }
}

test('a server that rejects stream: asked again without it at once, and never streamed to again', async () => {
  const { pages, calls } = await twoPagesAgainst({ rejects: ['stream'] }, [311, 312]);
  assert.deepEqual(pages.map((p) => [p.status, p.content, p.prompt_tokens, p.completion_tokens]),
    [311, 312].map((t) => ['completed', stubMarkdown(t), 1000, stubMarkdown(t).length]), 'the refused call used no tokens');
  assert.deepEqual(calls.map((cs) => cs.map((c) => [c.action, c.stream])), [[['rejected', true], ['ok', false]], [['ok', false]]]);
});

test('a server that rejects max_tokens: max_completion_tokens from then on', async () => {
  const { pages, calls } = await twoPagesAgainst({ rejects: ['max_tokens'] }, [321, 322]);
  assert.deepEqual(pages.map((p) => [p.status, p.content]), [321, 322].map((t) => ['completed', stubMarkdown(t)]));
  assert.deepEqual(calls.map((cs) => cs.map((c) => [c.action, c.outputBound?.field, c.stream])),
    [[['rejected', 'max_tokens', true], ['ok', 'max_completion_tokens', true]], [['ok', 'max_completion_tokens', true]]]);
});
