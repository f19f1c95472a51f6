/** What the API's route modules receive from the composition root. */
import type { Client, Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { PdfPool } from '../pdf/pool.js';
import type { PagePreviews } from '../previews/page-previews.js';
import type { PdfExports } from '../export/pdf-exports.js';
import type { Pool } from '../store/pool.js';
import type { Metrics } from '../metrics/registry.js';
import type { TaskLifecycle } from '../tasks/lifecycle.js';
import type { HubStats } from './ws/hub.js';

export interface ApiDeps {
  config: Config;
  pool: Pool;
  temporal: Client;
  /** Submit, retry, cancel, delete: every change to a task's life goes through it. */
  tasks: TaskLifecycle;
  /** The client's connection, for health checks. */
  temporalConnection: Connection;
  /** Inspects uploaded PDFs off the event loop. */
  pdf: PdfPool;
  /** Page images for review, drawn by their own render threads. */
  previews: PagePreviews;
  /** Searchable PDFs of finished tasks, made by a thread of their own and kept on disk. */
  pdfExports: PdfExports;
  metrics: Metrics;
  /** This API's own address on loopback (known once it listens), for what calls its routes (the MCP tools). */
  selfUrl: () => string;
  /** The Temporal SDK's own metrics, when a worker runs in this process. */
  sdkMetricsUrl?: string;
  websocketStats: () => HubStats;
  log: Logger;
}
