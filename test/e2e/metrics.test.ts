/** Prometheus metrics and the system endpoints, with real values after real tasks; who may read them. */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { taggedImage } from '../helpers/images.js';
import { makePdf, pageTags } from '../helpers/pdfs.js';
import { spawnService } from '../helpers/processes.js';
import { eventually, getJson, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';
import { connectWs, wsUrl } from '../helpers/ws-client.js';

let stack: Stack;
const children: ChildProcess[] = [];
const PAGES = 4;
before(async () => {
  stack = await startStack({ env: { PASSWORD: 'metrics-pw', BATCH_SIZE: '2', PDF_DPI: '72' } });
  // One image, one PDF; the image's first model call fails with a 503 and is retried.
  stack.stub.script([{ kind: 'status', status: 503 }], 70);
  const image = await postFile(`${stack.api}/api/async/image`, await taggedImage(70), 'one.png');
  const pdf = await postFile(`${stack.api}/api/async/pdf`, makePdf(pageTags(PAGES, 71)), 'four.pdf');
  for (const { body } of [image, pdf]) assert.equal((await waitForTask(stack, String(body.task_id))).status, 'completed');
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await stack?.stop();
});

/** The value of one series in Prometheus text, e.g. series('ocr_tasks{status="completed"}'). */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('GET /metrics after an image and a PDF: requests, tasks, pages, model calls, retries, tokens, renders', async () => {
  const ws = await connectWs(wsUrl(stack.api));
  try {
    await getJson(`${stack.api}/api/tasks?limit=5`);
    const res = await fetch(`${stack.api}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    const calls = 1 + PAGES;
    assert.equal(value(text, 'ocr_tasks{status="completed"}'), 2);
    assert.equal(value(text, 'ocr_pages_processed_total{status="completed"}'), calls);
    assert.equal(value(text, 'ocr_model_call_duration_seconds_count{outcome="ok"}'), calls);
    assert.equal(value(text, 'ocr_model_call_duration_seconds_count{outcome="server_error"}'), 1);
    assert.equal(value(text, 'ocr_model_retries_total{error_class="server_error"}'), 1);
    assert.equal(value(text, 'ocr_model_tokens_total{kind="prompt",model="stub-model",outcome="ok"}'), 1000 * calls, 'the stub reports 1000 prompt tokens a call');
    assert.ok((value(text, 'ocr_model_tokens_total{kind="completion",model="stub-model",outcome="ok"}') ?? 0) > 0);
    assert.equal(value(text, 'ocr_model_calls_in_flight'), 0);
    assert.equal(value(text, 'ocr_page_render_duration_seconds_count{source="pdf"}'), PAGES);
    assert.equal(value(text, 'ocr_websocket_connections'), 1);
    assert.ok((value(text, 'ocr_http_request_duration_seconds_count{method="GET",route="/api/tasks",status="200"}') ?? 0) >= 1);
    assert.ok((value(text, 'ocr_http_request_duration_seconds_count{method="POST",route="/api/async/pdf",status="200"}') ?? 0) >= 1);
    assert.match(text, /^ocr_process_resident_memory_bytes \d+/m);
    assert.ok(!text.includes('metrics-pw'), 'labels carry route templates, never the password');
  } finally {
    await ws.close();
  }
});

test('/metrics needs the password: prefix or Bearer, unless METRICS_PUBLIC', async () => {
  assert.equal((await fetch(`${stack.origin}/metrics`)).status, 404);
  assert.equal((await fetch(`${stack.origin}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 404);
  assert.equal((await fetch(`${stack.origin}/metrics`, { headers: { authorization: 'Bearer metrics-pw' } })).status, 200);
  const open = await startStack({ worker: false, env: { METRICS_PUBLIC: 'true' } });
  try {
    assert.equal((await fetch(`${open.origin}/metrics`)).status, 200);
  } finally {
    await open.stop();
  }
});

test('a worker process serves its metrics, with the Temporal SDK\'s own, and /healthz on METRICS_PORT', async () => {
  const worker = await spawnService(stack, 'worker', { METRICS_PORT: '0' });
  children.push(worker.child);
  const port = await eventually(() => {
    const match = /"port":(\d+)[^\n]*"worker metrics listening"/.exec(worker.output())?.[1];
    return Promise.resolve(match ? Number(match) : undefined);
  }, 'the worker metrics port');
  assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 404, 'the password is needed');
  const health = await getJson<{ status: string; checks: Record<string, string> }>(`http://127.0.0.1:${port}/healthz`);
  assert.deepEqual([health.status, health.body.checks], [200, { worker: 'ok', database: 'ok' }], 'the container health check');
  const text = await eventually(async () => {
    const body = await (await fetch(`http://127.0.0.1:${port}/metrics-pw/metrics`)).text();
    // The SDK reports its pollers once they have run a little.
    return /^temporal_/m.test(body) ? body : undefined;
  }, 'the SDK metrics');
  assert.match(text, /^ocr_model_calls_in_flight 0$/m);
  assert.match(text, /^temporal_\w+/m);
});

test('system endpoints: queues and workers, health with checks, metrics with latencies', async () => {
  const stats = await getJson<{ data: { task_system: { queues: Record<string, Record<string, number>>; workers: Record<string, { total_workers: number; running: boolean }> }; websocket: { active_connections: number } } }>(`${stack.api}/api/system/stats`);
  assert.equal(stats.status, 200);
  const { queues, workers } = stats.body.data.task_system;
  assert.deepEqual([queues.image!.completed_count, queues.pdf!.completed_count, queues.pdf!.queue_size], [1, 1, 0]);
  assert.ok(workers.pdf!.total_workers >= 1 && workers.pdf!.running, 'the in-process worker polls the task queue');
  assert.equal(typeof stats.body.data.websocket.active_connections, 'number');

  const health = await getJson<{ data: { overall_status: string; checks: Record<string, string>; system_health: { memory: { percent: number } } } }>(`${stack.api}/api/system/health`);
  assert.deepEqual(health.body.data.checks, { database: 'ok', temporal: 'ok' });
  assert.ok(['healthy', 'warning'].includes(health.body.data.overall_status), health.body.data.overall_status);
  assert.ok(health.body.data.system_health.memory.percent > 0);

  const metrics = await getJson<{ data: { error_stats: { pages_completed: number; error_rate: number }; recovery_stats: { pages_recovered_by_retry: number }; page_latency_seconds: { p50: number } } }>(`${stack.api}/api/system/metrics`);
  assert.equal(metrics.body.data.error_stats.pages_completed, 1 + PAGES);
  assert.equal(metrics.body.data.error_stats.error_rate, 0);
  assert.equal(metrics.body.data.recovery_stats.pages_recovered_by_retry, 1);
  assert.ok(metrics.body.data.page_latency_seconds.p50 >= 0);
});
