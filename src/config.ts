/**
 * The one place that reads the environment. `parseConfig` turns a plain record of variables into a
 * validated, typed Config (or one error naming every bad variable); `loadConfig` adds `.env`.
 * Variable names and defaults follow the service this one replaces, so existing deployments keep
 * working (docs/compatibility.md, "Configuration").
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { FINAL_WEBHOOK_EVENTS, IMAGE_FORMATS, PASSWORD_PATTERN, type ImageFormat, type WebhookEvent } from './contract/index.js';
import { parseWebhookEvents, WEBHOOK_SECRET_RULE, webhookSecretProblem } from './webhooks/settings.js';

/** The old service's documented placeholder key: OpenAI always rejects it. */
export const PLACEHOLDER_API_KEY = 'sk-111111111';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const LOG_FORMATS = ['json', 'pretty'] as const;

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `expected a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `expected a whole number from ${min} to ${max}`)
      .max(max, `expected a whole number from ${min} to ${max}`));

/** An http(s) origin with an optional path; `/v1` is appended when the path does not end with it. */
const apiBaseUrl = z
  .string()
  .trim()
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    message: 'expected an http(s) URL such as https://api.openai.com',
  })
  .transform((value) => {
    const url = new URL(value);
    const pathname = url.pathname.replace(/\/+$/, '');
    url.pathname = pathname.endsWith('/v1') ? pathname : `${pathname}/v1`;
    return url.toString().replace(/\/+$/, '');
  });

const postgresUrl = z
  .string()
  .trim()
  .refine((value) => /^postgres(ql)?:\/\//.test(value) && URL.canParse(value), {
    message: 'expected a URL such as postgres://user:password@host:5432/db',
  });

// The password becomes a path segment: anything that would need URL-encoding or contains a slash
// would make the prefix ambiguous.
const password = z.string().regex(PASSWORD_PATTERN, 'expected letters, digits or . _ ~ - only (it is a URL path segment)');

/** MODEL_PRICES: {"<model>": {"input": <price>, "output": <price>}}, per 1M prompt / completion tokens. */
const PRICES_EXAMPLE = 'expected JSON such as {"gpt-4o":{"input":2.5,"output":10}} (price per 1M input and output tokens)';
const modelPrices = z.string().trim().transform((value, ctx) => {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `not JSON; ${PRICES_EXAMPLE}` });
    return z.NEVER;
  }
  const price = z.number().finite().nonnegative();
  const parsed = z.record(z.string().min(1), z.strictObject({ input: price, output: price })).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? `${issue.path.map(String).join('.')}: ` : '';
    ctx.addIssue({ code: 'custom', message: `${where}${issue.message}; ${PRICES_EXAMPLE}` });
    return z.NEVER;
  }
  return parsed.data;
});

const httpUrl = (example: string) => z.string().trim().max(2000, 'expected at most 2000 characters')
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), { message: `expected an http(s) URL such as ${example}` });

const events = z.string().transform((value, ctx) => {
  try {
    return parseWebhookEvents(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const bool = z.enum(['true', 'false', '1', '0'], { message: 'expected true or false' }).transform((v) => v === 'true' || v === '1');

const emptyToUndefined = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value);

const schema = z.object({
  API_BASE_URL: apiBaseUrl.prefault('https://api.openai.com'),
  OPENAI_API_KEY: z.string().trim().min(1, 'expected a non-empty API key').default(PLACEHOLDER_API_KEY),
  MODEL: z.string().trim().min(1, 'expected a model name').default('gpt-4o'),
  MODELS: z.string().trim().default('').transform((v) => v.split(',').map((m) => m.trim()).filter((m) => m !== '')),
  PASSWORD: password.default('pwd'),
  PORT: int(0, 65535).default(54188),
  CONCURRENCY: int(1, 256).default(5),
  MAX_RETRIES: int(1, 20).default(5),
  PDF_DPI: int(50, 600).default(200),
  IMAGE_MAX_SIDE: int(0, 10_000).refine((n) => n === 0 || n >= 256, 'expected 0 (no bound) or 256 to 10000').default(2560),
  IMAGE_FORMAT: z.enum(IMAGE_FORMATS, { message: `expected one of ${IMAGE_FORMATS.join(', ')}` }).default('auto'),
  JPEG_QUALITY: int(50, 100).default(85),
  BATCH_SIZE: int(1, 100).default(8),
  MAX_IMAGE_SIZE_MB: int(1, 2048).default(50),
  MAX_PDF_SIZE_MB: int(1, 4096).default(200),
  MAX_PDF_PAGES: int(1, 10000).default(500),
  API_TIMEOUT: int(1, 3600).default(300),
  MAX_OUTPUT_TOKENS: int(256, 1_000_000).default(8192),
  WS_PING_INTERVAL: int(1, 3600).default(30),
  METRICS_PUBLIC: z.enum(['true', 'false', '1', '0'], { message: 'expected true or false' }).default('false'),
  METRICS_PORT: int(0, 65535).default(9464),
  TITLE: z.string().default('智能图文识别服务'),
  FAVICON_URL: z.string().default('/static/favicon.ico'),
  BACK_URL: z.string().trim().refine((v) => v === '' || URL.canParse(v), 'expected an origin URL or empty').default(''),
  DATABASE_URL: z.preprocess(emptyToUndefined, postgresUrl.optional()),
  TEMPORAL_ADDRESS: z.preprocess(emptyToUndefined, z.string().trim().regex(/^[^\s:/]+:\d+$/, 'expected host:port').optional()),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default('ocr'),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  PAGE_IMAGE_CACHE_MB: int(0, 1_000_000).default(512),
  PDF_EXPORT_CACHE_MB: int(0, 1_000_000).default(2048),
  RETENTION_DAYS: int(0, 36_500).default(0),
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  LOG_FORMAT: z.enum(LOG_FORMATS, { message: 'expected json or pretty (unset: pretty on a terminal, else json)' }).optional(),
  MODEL_PRICES: modelPrices.optional(),
  CACHE: z.enum(['on', 'off'], { message: 'expected on or off' }).default('on'),
  WEBHOOK_URL: httpUrl('https://example.com/ocr-events').optional(),
  // The message names the rule, never the value (parseConfig leaves it out for this variable).
  WEBHOOK_SECRET: z.string().trim().refine((v) => webhookSecretProblem(v) === undefined, WEBHOOK_SECRET_RULE).optional(),
  WEBHOOK_EVENTS: events.optional(),
  WEBHOOK_PROGRESS_INTERVAL: int(1, 86_400).default(30),
  WEBHOOK_RETRY_HOURS: int(1, 720).default(24),
  WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  PUBLIC_URL: httpUrl('https://ocr.example.com').optional(),
  PRICE_CURRENCY: z.string().trim().regex(/^[A-Z]{3}$/, 'expected a three-letter currency code such as USD').default('USD'),
});

type Env = z.output<typeof schema>;

export interface Config {
  vision: {
    baseUrl: string; apiKey: string; model: string; timeoutMs: number;
    /** The models a task may choose (MODELS), MODEL first. */
    models: string[];
    /** Calls per page, the first included (MAX_RETRIES, whose name says retries but means attempts). */
    maxAttempts: number;
    concurrency: number;
    /** The most tokens one reply may take (MAX_OUTPUT_TOKENS), sent with every call. */
    maxOutputTokens: number;
  };
  http: { port: number; password: string; title: string; faviconUrl: string; backUrl: string; wsPingIntervalMs: number };
  limits: { maxImageBytes: number; maxPdfBytes: number; maxPdfPages: number };
  /** `maxSide`: the longest side, in pixels, of what is sent (IMAGE_MAX_SIDE; 0 = no bound). */
  pdf: { dpi: number; batchSize: number; maxSide: number };
  /** How what is sent is encoded (IMAGE_FORMAT, JPEG_QUALITY; quality applies to WebP too). */
  encoding: { format: ImageFormat; quality: number };
  /** Whether a page an earlier task read the same way is copied instead of read again (CACHE). */
  reuse: boolean;
  /** Unset means: start an embedded Postgres under dataDir (`ocr dev` only). */
  databaseUrl: string | undefined;
  /** Unset means: start a Temporal dev server (`ocr dev` only). */
  temporal: { address: string | undefined; namespace: string; taskQueue: string };
  /** Prometheus: whether /metrics needs the password, and the worker's own metrics port. */
  metrics: { public: boolean; workerPort: number };
  dataDir: string;
  /** Page images drawn for review, kept on disk under dataDir up to this many bytes (PAGE_IMAGE_CACHE_MB; 0 = none kept). */
  pageImageCacheBytes: number;
  /** Searchable PDFs made for export, kept on disk under dataDir up to this many bytes (PDF_EXPORT_CACHE_MB; 0 = none kept). */
  pdfExportCacheBytes: number;
  /** Tasks finished more than this many days ago are deleted, daily (RETENTION_DAYS; 0 = kept for ever). */
  retentionDays: number;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Unset means: pretty on a terminal, JSON lines otherwise (decided by the logger). */
  logFormat: (typeof LOG_FORMATS)[number] | undefined;
  /** Prices per 1M tokens by model name (MODEL_PRICES); a task whose model has none has no cost. */
  pricing: { prices: Record<string, { input: number; output: number }>; currency: string };
  webhooks: WebhookConfig;
  /** The origin (and path) clients reach the service at (PUBLIC_URL), without a trailing slash; '' when unset. */
  publicUrl: string;
}

/** Signed webhooks (src/webhooks/): who gets which events, and how long a delivery keeps trying. */
export interface WebhookConfig {
  /** WEBHOOK_SECRET: signs every delivery; without it no task may ask for a webhook. */
  secret: string | undefined;
  /** WEBHOOK_URL: gets every task's `serviceEvents`; trusted (an operator's), so never checked for private addresses. */
  serviceUrl: string | undefined;
  serviceEvents: WebhookEvent[];
  /** At most one task.progress per task this often. */
  progressIntervalMs: number;
  /** How long one delivery keeps retrying (WEBHOOK_RETRY_HOURS). */
  retryMs: number;
  /** WEBHOOK_ALLOW_PRIVATE: task webhooks may point at loopback, private and link-local addresses. */
  allowPrivate: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const MB = 1024 * 1024;

/** Validates a record of environment variables; throws ConfigError listing every bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "use the default" for every variable but PASSWORD and BACK_URL, where the
  // old service gave empty a meaning (no prefix / same origin).
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    input[key] = value === '' && key !== 'PASSWORD' && key !== 'BACK_URL' ? undefined : value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        // A secret is never repeated, not even in an error.
        return name === 'WEBHOOK_SECRET' ? `${name}: ${issue.message}` : `${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}`;
      }),
    );
  }
  if (parsed.data.WEBHOOK_URL && !parsed.data.WEBHOOK_SECRET) {
    throw new ConfigError(['WEBHOOK_URL is set but WEBHOOK_SECRET is not: every delivery is signed (make a secret with `ocr webhook-secret`)']);
  }
  return toConfig(parsed.data);
}

function toConfig(e: Env): Config {
  return {
    vision: {
      baseUrl: e.API_BASE_URL,
      apiKey: e.OPENAI_API_KEY,
      model: e.MODEL,
      // MODEL is the default, so always allowed.
      models: [...new Set([e.MODEL, ...e.MODELS])],
      timeoutMs: e.API_TIMEOUT * 1000,
      maxAttempts: e.MAX_RETRIES,
      concurrency: e.CONCURRENCY,
      maxOutputTokens: e.MAX_OUTPUT_TOKENS,
    },
    http: {
      port: e.PORT, password: e.PASSWORD, title: e.TITLE, faviconUrl: e.FAVICON_URL, backUrl: e.BACK_URL,
      wsPingIntervalMs: e.WS_PING_INTERVAL * 1000,
    },
    limits: { maxImageBytes: e.MAX_IMAGE_SIZE_MB * MB, maxPdfBytes: e.MAX_PDF_SIZE_MB * MB, maxPdfPages: e.MAX_PDF_PAGES },
    pdf: { dpi: e.PDF_DPI, batchSize: e.BATCH_SIZE, maxSide: e.IMAGE_MAX_SIDE },
    encoding: { format: e.IMAGE_FORMAT, quality: e.JPEG_QUALITY },
    databaseUrl: e.DATABASE_URL,
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.TEMPORAL_TASK_QUEUE },
    metrics: { public: e.METRICS_PUBLIC === 'true' || e.METRICS_PUBLIC === '1', workerPort: e.METRICS_PORT },
    dataDir: path.resolve(e.DATA_DIR),
    pageImageCacheBytes: e.PAGE_IMAGE_CACHE_MB * MB,
    pdfExportCacheBytes: e.PDF_EXPORT_CACHE_MB * MB,
    retentionDays: e.RETENTION_DAYS,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    pricing: { prices: e.MODEL_PRICES ?? {}, currency: e.PRICE_CURRENCY },
    reuse: e.CACHE === 'on',
    webhooks: {
      secret: e.WEBHOOK_SECRET,
      serviceUrl: e.WEBHOOK_URL,
      serviceEvents: e.WEBHOOK_EVENTS ?? [...FINAL_WEBHOOK_EVENTS],
      progressIntervalMs: e.WEBHOOK_PROGRESS_INTERVAL * 1000,
      retryMs: e.WEBHOOK_RETRY_HOURS * 3_600_000,
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
    },
    publicUrl: (e.PUBLIC_URL ?? '').replace(/\/+$/, ''),
  };
}

/** process.env over `.env` in the working directory (the file never overrides the real environment). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, dotenvPath = '.env'): Config {
  let fromFile: Record<string, string> = {};
  try {
    fromFile = parseDotenv(readFileSync(dotenvPath));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return parseConfig({ ...fromFile, ...env });
}
