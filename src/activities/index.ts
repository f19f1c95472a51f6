/**
 * Activities for the ocrTask workflow, built from their dependencies by `createActivities(deps)` so
 * the worker's composition root (and tests) decide which pool, model client and limiter they use.
 * Workflows import only the *type* of the returned object.
 */
import { Context, ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { Pool } from '../store/pool.js';
import { cachedFilePath } from '../store/files.js';
import type { FinalTaskStatus, SentImage } from '../contract/index.js';
import { getTask, type TaskRow } from '../store/tasks.js';
import { completedPageNumbers, findReusablePage, type PageResult } from '../store/pages.js';
import { reuseKey } from '../tasks/reuse.js';
import type { RunEnd } from '../tasks/outcome.js';
import { recordOutcome, recordPage, recordStart } from '../tasks/record.js';
import type { VisionClient } from '../vision/client.js';
import { NO_USAGE, VisionError, type TokenUsage } from '../vision/errors.js';
import { recognizeWithRetries, type RecognizedPage } from '../vision/retry.js';
import type { PdfPool, RenderOptions } from '../pdf/pool.js';
import type { Metrics } from '../metrics/registry.js';
import type { Limiter } from './limiter.js';
import { loadPageImage, UnreadablePageError, type PageImage } from './page-image.js';
import { TASK_FATAL_ERROR, type Capacity, type StartedTask } from '../workflows/types.js';
import type { WebhookConfig } from '../config.js';
import { receiversOf, wantedEvents } from '../webhooks/targets.js';

export interface ActivityDeps {
  pool: Pool;
  vision: VisionClient;
  /** Worker-wide limit on model calls in flight (CONCURRENCY). */
  limiter: Limiter;
  /**
   * Worker-wide limit on pages drawn and not yet answered, granted to the tasks holding the fewest.
   * Each running batch would otherwise draw all its pages at once, and with several PDFs running a
   * worker held up to (CONCURRENCY + 2) × BATCH_SIZE encoded pages waiting for the model.
   */
  pagesInHand: Limiter;
  /** CONCURRENCY, the limiter's size: what this worker adds to the task queue's capacity. */
  concurrency: number;
  /** Workers polling the task queue for activities, as Temporal last saw them. */
  countWorkers: () => Promise<number>;
  /** Worker threads that render PDF pages and convert images. */
  pdf: PdfPool;
  /** PDF render resolution (PDF_DPI), the longest side of what is sent (IMAGE_MAX_SIDE) and its encoding. */
  images: RenderOptions;
  /** Local cache of stored files (DATA_DIR/cache). */
  cacheDir: string;
  /** Attempts per page (MAX_RETRIES). */
  maxAttempts: number;
  /** The model the vision client calls (MODEL), recorded on each task it starts: prices are per model. */
  model: string;
  /** Whether completed pages of earlier tasks may be copied (CACHE; tasks/reuse.ts). */
  reuse: boolean;
  /** Who gets which events (WEBHOOK_*): decides the events a task's run raises. */
  webhooks: WebhookConfig;
  /** Base of the page retry backoff; tests shorten it. */
  retryBaseDelayMs?: number;
  metrics: Metrics;
  log: Logger;
}

/** `fresh`: read by the model whatever an earlier task holds for these pages (OcrTaskInput.fresh). */
export interface BatchInput { taskId: string; pages: number[]; fresh?: boolean }
export interface BatchResult { completed: number; failed: number; skipped: number }
export interface FinishInput {
  taskId: string;
  /** Something doomed the whole task (a bad key…): it fails whatever its pages hold. */
  error?: { code: string; message: string };
  /** Why some pages have no result: a batch gave up (runs from before this field sent `error`). */
  unfinished?: string;
  cancelled?: boolean;
}

/** Why a page failed: the model's answer (classified in vision/errors.ts), or a page that cannot be drawn. */
type PageFailure = VisionError | UnreadablePageError;
const isPageFailure = (err: unknown): err is PageFailure => err instanceof VisionError || err instanceof UnreadablePageError;

/** A page's tokens as stored: those of all its calls, failed ones included. */
const tokens = (usage: TokenUsage): Pick<PageResult, 'promptTokens' | 'completionTokens' | 'tokensEstimated'> => ({
  promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, tokensEstimated: usage.estimated,
});

const sentImage = (image: PageImage): SentImage => ({ width: image.width, height: image.height, bytes: image.data.length, mime_type: image.mimeType });

// Heartbeats keep flowing while a model call runs for minutes, so a live worker is never mistaken
// for a dead one; they also carry cancellation to the activity.
const HEARTBEAT_INTERVAL_MS = 1_000;

/**
 * How a task's pages are drawn and sent, which model reads them with what instructions, and
 * whether an earlier task's result for the same page may stand in for a model call.
 */
interface TaskSettings { fileSha256: string; images: RenderOptions; call: { model: string; instructions?: string }; reuse: boolean }

export function createActivities(deps: ActivityDeps) {
  const { pool, log } = deps;

  /** The service's settings, with what the task's options change (kept with the task, so its retries run the same way). */
  function settingsOf(task: TaskRow): TaskSettings {
    const { model, prompt, dpi, image_format: format } = task.options;
    const images = { ...deps.images, dpi: dpi ?? deps.images.dpi, encoding: { ...deps.images.encoding, format: format ?? deps.images.encoding.format } };
    return {
      fileSha256: task.file_sha256, images, call: { model: model ?? deps.model, ...(prompt ? { instructions: prompt } : {}) },
      reuse: deps.reuse && !task.options.disable_cache,
    };
  }

  async function recordFailure(taskId: string, pageNumber: number, err: PageFailure, started: number, image?: PageImage): Promise<'failed'> {
    // A failed page is recorded as failed, never as content.
    await recordPage(pool, {
      taskId, pageNumber, status: 'failed', content: null, errorClass: err.kind, errorMessage: err.message,
      attempts: err.attempts, processingMs: Date.now() - started, ...tokens(err instanceof VisionError ? err.usage : NO_USAGE), warnings: [],
      sent: image ? sentImage(image) : null,
    });
    deps.metrics.pages.inc({ status: 'failed' });
    log.warn({ taskId, pageNumber, kind: err.kind, attempts: err.attempts }, 'page failed');
    if (err.scope === 'task') {
      throw ApplicationFailure.create({ type: TASK_FATAL_ERROR, message: err.message, nonRetryable: true, details: [err.kind] });
    }
    return 'failed';
  }

  /** Copies an earlier task's result for the same page, file, model, prompt and rendering, if there is one: no render, no call. */
  async function reuseEarlier(taskId: string, pageNumber: number, key: string, started: number): Promise<boolean> {
    const earlier = await findReusablePage(pool, key);
    if (!earlier) return false;
    const sent = earlier.sent_bytes === null ? null
      : { width: earlier.sent_width!, height: earlier.sent_height!, bytes: earlier.sent_bytes, mime_type: earlier.sent_type! };
    await recordPage(pool, {
      taskId, pageNumber, status: 'completed', content: earlier.content, errorClass: null, errorMessage: null, attempts: 0,
      processingMs: Date.now() - started, ...tokens(NO_USAGE), warnings: earlier.warnings, sent, reuseKey: key,
      reusedFrom: { promptTokens: earlier.prompt_tokens, completionTokens: earlier.completion_tokens },
    });
    deps.metrics.pages.inc({ status: 'completed' });
    return true;
  }

  /**
   * Copies the page from an earlier task when it may, or else draws, recognises and saves it while
   * holding one of the worker's pages in hand.
   */
  async function processPage(taskId: string, pageNumber: number, file: () => Promise<string>, mimeType: string, settings: TaskSettings, signal: AbortSignal): Promise<'completed' | 'failed'> {
    const started = Date.now();
    const key = reuseKey({ fileSha256: settings.fileSha256, pageNumber, model: settings.call.model, instructions: settings.call.instructions, images: settings.images });
    if (settings.reuse && (await reuseEarlier(taskId, pageNumber, key, started))) return 'completed';
    return deps.pagesInHand.run(() => drawAndRecognize(taskId, pageNumber, key, started, file, mimeType, settings, signal),
      { signal, key: taskId, order: pageNumber });
  }

  /**
   * Renders the page (in the thread pool, outside the model-call limit, so the next pages render
   * while earlier ones wait for the model), then recognises and saves it under the limit.
   */
  async function drawAndRecognize(taskId: string, pageNumber: number, key: string, started: number, file: () => Promise<string>, mimeType: string, settings: TaskSettings, signal: AbortSignal): Promise<'completed' | 'failed'> {
    let image: PageImage;
    try {
      image = await loadPageImage(deps.pdf, await file(), mimeType, pageNumber, settings.images, signal);
    } catch (err) {
      if (isPageFailure(err)) return recordFailure(taskId, pageNumber, err, started);
      throw err;
    }
    if (image.blank) {
      // Nothing on the page: an empty page, saved without a model call (and its cost).
      await recordPage(pool, {
        taskId, pageNumber, status: 'completed', content: '', errorClass: null, errorMessage: null, attempts: 0,
        processingMs: Date.now() - started, ...tokens(NO_USAGE), warnings: [...image.warnings, 'blank_page'], sent: null, reuseKey: key,
      });
      deps.metrics.pages.inc({ status: 'completed' });
      return 'completed';
    }
    // The limit is on model calls: a slot is given back as soon as the model has answered, and the
    // page is saved while the next one is already asked.
    let reply: RecognizedPage;
    try {
      reply = await deps.limiter.run(() => recognizeWithRetries(deps.vision, image, {
        maxAttempts: deps.maxAttempts,
        call: settings.call,
        signal,
        baseDelayMs: deps.retryBaseDelayMs,
        onRetry: (err, attempt, delayMs, temperature) => {
          deps.metrics.retries.inc({ error_class: err.kind });
          log.warn({ taskId, pageNumber, attempt, kind: err.kind, delayMs, temperature }, 'model call failed, retrying');
        },
      }), { signal, key: taskId, order: pageNumber });
    } catch (err) {
      if (err instanceof VisionError) return recordFailure(taskId, pageNumber, err, started, image);
      throw err;
    }
    await recordPage(pool, {
      taskId, pageNumber, status: 'completed', content: reply.markdown, errorClass: null, errorMessage: null,
      attempts: reply.attempts, processingMs: Date.now() - started, ...tokens(reply.usage), warnings: [...image.warnings, ...reply.warnings],
      sent: sentImage(image), reuseKey: key,
    });
    deps.metrics.pages.inc({ status: 'completed' });
    return 'completed';
  }

  return {
    /** Marks the task as processing with this worker's model (idempotent), and tells the run which webhook events to raise. */
    async startTask(taskId: string): Promise<StartedTask> {
      // Its batches come next: render threads stopped while idle start and warm up meanwhile.
      deps.pdf.warm(deps.images).catch((err: unknown) => log.warn({ err }, 'could not warm up the render threads'));
      const task = await getTask(pool, taskId);
      // Deleted meanwhile: its batches find no task and stop.
      if (!task) return {};
      const { model } = settingsOf(task).call;
      if (await recordStart(pool, taskId, model)) log.info({ taskId, model }, 'task started');
      const events = wantedEvents(receiversOf(task.options, deps.webhooks));
      if (events.length === 0) return {};
      return { webhooks: { events, progressIntervalMs: deps.webhooks.progressIntervalMs, retryMs: deps.webhooks.retryMs } };
    },

    /** Recognises the pages of one batch that have no completed result yet, saving each at once. */
    async ocrBatch(input: BatchInput): Promise<BatchResult> {
      const ctx = Context.current();
      const task = await getTask(pool, input.taskId);
      if (!task) throw ApplicationFailure.create({ type: 'TaskNotFound', message: `task ${input.taskId} does not exist`, nonRetryable: true });

      const done = await completedPageNumbers(pool, input.taskId, input.pages);
      const todo = input.pages.filter((p) => !done.has(p));
      const heartbeat = setInterval(() => ctx.heartbeat({ remaining: todo.length }), HEARTBEAT_INTERVAL_MS);
      ctx.heartbeat({ remaining: todo.length });
      try {
        // Fetched when the first page needs drawing: a batch whose pages are all reused never needs the file.
        let fetched: Promise<string> | undefined;
        const file = () => (fetched ??= cachedFilePath(pool, deps.cacheDir, task.file_sha256));
        const settings = input.fresh ? { ...settingsOf(task), reuse: false } : settingsOf(task);
        // Every page runs to its end before the batch reports: a batch retried while some of its
        // pages were still in flight would send those pages to the model twice.
        const settled = await Promise.allSettled(
          todo.map((pageNumber) => processPage(input.taskId, pageNumber, file, task.mime_type, settings, ctx.cancellationSignal)),
        );
        const fatal = settled.find((s) => s.status === 'rejected' && s.reason instanceof ApplicationFailure && s.reason.type === TASK_FATAL_ERROR);
        const rejected = fatal ?? settled.find((s) => s.status === 'rejected');
        if (rejected) throw (rejected as PromiseRejectedResult).reason;
        const outcomes = settled.map((s) => (s as PromiseFulfilledResult<'completed' | 'failed'>).value);
        return {
          completed: outcomes.filter((o) => o === 'completed').length,
          failed: outcomes.filter((o) => o === 'failed').length,
          skipped: done.size,
        };
      } catch (err) {
        // An aborted model call or wait surfaces as an abort error; Temporal expects a CancelledFailure.
        if (ctx.cancellationSignal.aborted) throw new CancelledFailure('activity cancelled', undefined, err as Error);
        throw err;
      } finally {
        clearInterval(heartbeat);
      }
    },

    /**
     * The model-call capacity on the task queue, for the workflow's window (run as a local activity).
     * Temporal lists a worker for a few minutes after its last poll: one that died still counts for
     * that long (its batches then wait for the others), and a worker whose slots have all been busy
     * that long drops out (it has no room for more batches anyway). This worker polls, so at least 1.
     */
    async measureCapacity(): Promise<Capacity> {
      return { workers: Math.max(1, await deps.countWorkers()), concurrency: deps.concurrency };
    },

    /** Records the task's outcome, decided from what the pages table holds (tasks/outcome.ts). */
    async finishTask(input: FinishInput): Promise<FinalTaskStatus> {
      const end: RunEnd = input.cancelled ? { kind: 'cancelled' }
        : input.error ? { kind: 'error', ...input.error }
          : { kind: 'done', unfinished: input.unfinished };
      const outcome = await recordOutcome(pool, input.taskId, end);
      // A task deleted while it ran has no outcome to record.
      if (!outcome) return 'failed';
      log.info({ taskId: input.taskId, status: outcome.status, summary: outcome.resultSummary }, 'task finished');
      return outcome.status;
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
