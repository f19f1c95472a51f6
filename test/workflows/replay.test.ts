/**
 * Replays every recorded history (histories/*.json, made by record-histories.ts) with the current
 * workflow code, so an edit to src/workflows that would break runs already under way fails here
 * rather than in production. No server is involved: a replay worker only runs the workflow code.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, makeTelemetryFilterString, Runtime, Worker, type ReplayWorkerOptions } from '@temporalio/worker';
// The class the replay worker reports with (it lives in the workflow package).
import { DeterminismViolationError } from '@temporalio/workflow';
import { testEnv } from '../helpers/env.js';
import { historyFromJSON } from './history-json.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const historiesDir = fileURLToPath(new URL('./histories/', import.meta.url));
const files = readdirSync(historiesDir).filter((f) => f.endsWith('.json')).sort();

// A history that does not replay is the expected outcome of the last test: keep the SDK quiet about it.
Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } } });

interface Marker { markerName: string; details?: Record<string, { payloads?: Array<{ data?: string }> }> }
interface HistoryJson { events: Array<{ eventType: string; markerRecordedEventAttributes?: Marker }> }

const load = (file: string) => JSON.parse(readFileSync(path.join(historiesDir, file), 'utf8')) as HistoryJson;

/** Each file's replay error, or undefined where it replayed; one replay worker for all. */
async function replay(options: ReplayWorkerOptions, names: string[]): Promise<Map<string, Error | undefined>> {
  const results = new Map<string, Error | undefined>();
  const histories = names.map((file) => ({ workflowId: path.basename(file, '.json'), history: historyFromJSON(load(file)) }));
  for await (const result of Worker.runReplayHistories(options, histories)) {
    results.set(`${result.workflowId}.json`, result.error);
  }
  return results;
}

/** The patch ids a history's markers record: the `patched()` calls of the code that ran it. */
function patchIds(history: HistoryJson): string[] {
  return history.events
    .filter((e) => e.eventType === 'EVENT_TYPE_MARKER_RECORDED' && e.markerRecordedEventAttributes?.markerName === 'core_patch')
    .flatMap((e) => e.markerRecordedEventAttributes!.details?.['patch-data']?.payloads ?? [])
    .map((p) => (JSON.parse(Buffer.from(p.data ?? '', 'base64').toString('utf8')) as { id: string }).id);
}

describe('recorded histories replay with the current workflow code', () => {
  let results: Map<string, Error | undefined>;
  before(async () => {
    results = await replay({ workflowBundle: { codePath: testEnv.workflowBundlePath } }, files);
  });

  for (const file of files) {
    test(file, () => {
      assert.ok(results.has(file), 'replayed');
      const error = results.get(file);
      assert.equal(error, undefined, `${file} no longer replays: ${error?.name}: ${error?.message}`);
    });
  }
});

/**
 * The workflows with `replacements` applied to a copy of ocr-task.ts, bundled. The copy's relative
 * imports are pointed back at src/, so only that one file differs from the real bundle.
 */
async function bundleChanged(replacements: Record<string, string>): Promise<string> {
  const source = path.join(root, 'src/workflows/ocr-task.ts');
  let code = await readFile(source, 'utf8');
  for (const [from, to] of Object.entries(replacements)) {
    assert.ok(code.includes(from), `${path.relative(root, source)} no longer contains ${from}: update this test's change`);
    code = code.replaceAll(from, to);
  }
  code = code.replace(/from '(\.\.?\/[^']+)'/g, (_, rel: string) => `from '${path.join(path.dirname(source), rel)}'`);
  // The other workflows as they are, so their histories replay with this bundle too.
  code += `\nexport { webhookDeliveryWorkflow } from '${path.join(path.dirname(source), 'webhook-delivery.js')}';\n`;
  code += `export { retentionWorkflow } from '${path.join(path.dirname(source), 'retention.js')}';\n`;
  const dir = await mkdtemp(path.join(testEnv.scratchDir, 'changed-workflow-'));
  const file = path.join(dir, 'ocr-task.ts');
  await writeFile(file, code);
  const quiet = () => {};
  const { code: bundle } = await bundleWorkflowCode({
    workflowsPath: file,
    logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet },
    // The copy lives outside the project: let it find the project's packages.
    webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, modules: [...(config.resolve?.modules ?? []), path.join(root, 'node_modules')] } }),
  });
  const bundlePath = path.join(dir, 'bundle.js');
  await writeFile(bundlePath, bundle);
  return bundlePath;
}

/**
 * Taking a `patched()` call out (the code then always takes the new branch) must break the runs
 * recorded before that patch which took the old branch, and no other: that is what keeps them alive.
 */
const PATCH_REMOVALS = [
  {
    patch: 'window-follows-capacity',
    // Their window filled: without the patch, the code measures the capacity where they did not.
    breaks: ['before-ocr-status-search-attribute-pdf-retry.json', 'before-window-follows-capacity-pdf-retry.json'],
  },
  {
    patch: 'ocr-status-search-attribute',
    // The only run started with OcrStatus, which the code would then upsert. Runs started without it
    // never reach the patched() call.
    breaks: ['before-ocr-status-search-attribute-image-started-with-attributes.json'],
  },
];

describe('the replay test catches a non-deterministic change', () => {
  for (const { patch, breaks } of PATCH_REMOVALS) {
    test(`without patched('${patch}'), the runs from before it that took its old branch no longer replay`, async () => {
      const bundle = await bundleChanged({ [`patched('${patch}')`]: 'true' });
      const before = files.filter((f) => !patchIds(load(f)).includes(patch));
      const results = await replay({ workflowBundle: { codePath: bundle } }, before);
      const outcome = (file: string) => (breaks.includes(file) ? DeterminismViolationError.name : 'replays');
      // Those listed must be there: they are what keeps the old branch tested.
      assert.deepEqual(
        Object.fromEntries([...results].map(([file, error]) => [file, error ? error.constructor.name : 'replays'])),
        Object.fromEntries([...new Set([...before, ...breaks])].map((file) => [file, outcome(file)])),
      );
    });
  }
});
