/** Wrappers that record metrics around the worker's dependencies, without touching what they do. */
import type { PdfPool } from '../pdf/pool.js';
import type { VisionClient } from '../vision/client.js';
import { VisionError, type TokenUsage } from '../vision/errors.js';
import type { Metrics } from './registry.js';

/**
 * Duration by outcome, calls in flight and tokens of every model call: each attempt counts, the
 * failed and stopped ones too (a stopped call's completion tokens estimated from what it wrote).
 */
export function instrumentVision(vision: VisionClient, metrics: Metrics, defaultModel: string): VisionClient {
  const countTokens = (usage: TokenUsage, outcome: string, model: string) => {
    if (usage.promptTokens) metrics.tokens.inc({ kind: 'prompt', model, outcome }, usage.promptTokens);
    if (usage.completionTokens) metrics.tokens.inc({ kind: 'completion', model, outcome }, usage.completionTokens);
  };
  return {
    async recognize(image, options) {
      const stop = metrics.modelCallDuration.startTimer();
      metrics.modelCallsInFlight.inc();
      try {
        const reply = await vision.recognize(image, options);
        stop({ outcome: 'ok' });
        countTokens(reply.usage, 'ok', options.model ?? defaultModel);
        return reply;
      } catch (err) {
        const outcome = err instanceof VisionError ? err.kind : options.signal?.aborted ? 'cancelled' : 'error';
        stop({ outcome });
        // The call's own usage: the retry loop replaces it by the page's sum only after this.
        if (err instanceof VisionError) countTokens(err.usage, outcome, options.model ?? defaultModel);
        throw err;
      } finally {
        metrics.modelCallsInFlight.dec();
      }
    },
  };
}

/** Render and conversion durations of the PDF thread pool. */
export function instrumentPdfPool(pdf: PdfPool, metrics: Metrics): PdfPool {
  const timed = <T>(source: string, work: Promise<T>): Promise<T> => {
    const stop = metrics.renderDuration.startTimer({ source });
    return work.finally(() => stop());
  };
  return {
    ...pdf,
    render: (...args) => timed('pdf', pdf.render(...args)),
    convertImage: (...args) => timed('image', pdf.convertImage(...args)),
  };
}
