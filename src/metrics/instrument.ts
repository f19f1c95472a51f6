/** Wrappers that record metrics around the worker's dependencies, without touching what they do. */
import type { PdfPool } from '../pdf/pool.js';
import type { VisionClient } from '../vision/client.js';
import { VisionError } from '../vision/errors.js';
import type { Metrics } from './registry.js';

/** Duration by outcome, calls in flight and tokens of every model call (each attempt counts). */
export function instrumentVision(vision: VisionClient, metrics: Metrics, model: string): VisionClient {
  return {
    async recognize(image, signal) {
      const stop = metrics.modelCallDuration.startTimer();
      metrics.modelCallsInFlight.inc();
      try {
        const reply = await vision.recognize(image, signal);
        stop({ outcome: 'ok' });
        if (reply.promptTokens) metrics.tokens.inc({ kind: 'prompt', model }, reply.promptTokens);
        if (reply.completionTokens) metrics.tokens.inc({ kind: 'completion', model }, reply.completionTokens);
        return reply;
      } catch (err) {
        stop({ outcome: err instanceof VisionError ? err.kind : signal?.aborted ? 'cancelled' : 'error' });
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
