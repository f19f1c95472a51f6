/**
 * What an Azure analyze request asks for: the surface and api-version it speaks, its query
 * parameters (`pages`, `output`, `outputContentFormat`, `stringIndexType`), and its document, as
 * the raw body or as JSON `{"base64Source"}`. What a task needs to answer it later is kept in the
 * task's metadata (`azure_read`), read back by `analyzeRequestOf`.
 */
import type { Context } from 'koa';
import { z } from 'zod';
import type { TaskRow } from '../../store/tasks.js';
import { receiveBody, type Upload } from '../http/upload.js';
import { createBase64SourceDecoder } from './base64-source.js';
import { azureError, gatewayError } from './errors.js';

/**
 * Document Intelligence (v4, what paperless-ngx and the current SDKs speak) and the older Form
 * Recognizer (v3), which has neither the PDF output nor Markdown content.
 */
export interface Surface { root: '/documentintelligence' | '/formrecognizer'; apiVersions: readonly string[]; v4: boolean }
export const SURFACES: readonly Surface[] = [
  { root: '/documentintelligence', apiVersions: ['2024-11-30'], v4: true },
  { root: '/formrecognizer', apiVersions: ['2023-07-31', '2022-08-31'], v4: false },
];

export const STRING_INDEX_TYPES = ['textElements', 'unicodeCodePoint', 'utf16CodeUnit'] as const;
export type StringIndexType = (typeof STRING_INDEX_TYPES)[number];
export const CONTENT_FORMATS = ['text', 'markdown'] as const;
export type ContentFormat = (typeof CONTENT_FORMATS)[number];

/** What an analyze asked for, as kept in its task's metadata. */
const analyzeRequest = z.object({
  api_version: z.string(),
  output_pdf: z.boolean(),
  content_format: z.enum(CONTENT_FORMATS),
  string_index_type: z.enum(STRING_INDEX_TYPES),
});
export type AnalyzeRequest = z.infer<typeof analyzeRequest>;
export const METADATA_KEY = 'azure_read';

type Query = Record<string, string | string[] | undefined>;
const lastOf = (value: string | string[] | undefined) => (Array.isArray(value) ? value.at(-1) : value);
/** A list parameter, repeated (`output=a&output=b`) or comma-separated (as the SDKs send it). */
const listOf = (value: string | string[] | undefined) => [value ?? []].flat().flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');

const invalidParameter = (name: string, detail: string) => azureError('InvalidArgument', 'InvalidParameter', `The parameter ${name} is invalid: ${detail}`);

/** The api-version asked for, one the surface speaks; Azure's gateway answers any other with a bare 404. */
export function apiVersionOf(surface: Surface, query: Query): string {
  const version = lastOf(query['api-version']);
  if (version === undefined || !surface.apiVersions.includes(version)) {
    throw gatewayError(404, `Resource not found (${surface.root} speaks api-version ${surface.apiVersions.join(' or ')})`);
  }
  return version;
}

function oneOf<T extends string>(query: Query, name: string, allowed: readonly T[], fallback: T): T {
  const value = lastOf(query[name]);
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw invalidParameter(name, `expected one of ${allowed.join(', ')}`);
  return value as T;
}

/** The analyze's query: what it asks for, and its `pages` (checked later, with the task's other options). */
export function parseAnalyzeQuery(surface: Surface, query: Query): { request: AnalyzeRequest; pages: string | undefined } {
  const apiVersion = apiVersionOf(surface, query);
  let outputPdf = false;
  if (surface.v4) {
    for (const output of listOf(query.output)) {
      // A vision model finds no figure regions: `figures` would be a promise of crops we cannot cut.
      if (output !== 'pdf') throw invalidParameter('output', `"${output}" is not offered here (only pdf)`);
      outputPdf = true;
    }
  }
  return {
    request: {
      api_version: apiVersion,
      output_pdf: outputPdf,
      content_format: surface.v4 ? oneOf(query, 'outputContentFormat', CONTENT_FORMATS, 'text') : 'text',
      string_index_type: oneOf(query, 'stringIndexType', STRING_INDEX_TYPES, 'textElements'),
    },
    pages: lastOf(query.pages),
  };
}

/** What the analyze that made `task` asked for; a task submitted another way is read as Azure's defaults would. */
export function analyzeRequestOf(task: TaskRow, apiVersion: string): AnalyzeRequest {
  const kept = analyzeRequest.safeParse(task.metadata[METADATA_KEY]);
  return kept.success ? kept.data : { api_version: apiVersion, output_pdf: false, content_format: 'text', string_index_type: 'textElements' };
}

/** Room for a JSON body's other members and whitespace, beside the base64 (4 characters per 3 bytes). */
const JSON_SLACK_BYTES = 64 * 1024;
const RAW_TYPES = ['application/octet-stream', 'application/pdf', 'image/*'];

/**
 * The document as a temp file (the caller discards it): the raw body, or JSON `base64Source`
 * decoded on the way; `maxBytes` of document at most. A `urlSource` is refused: fetching URLs on a
 * client's behalf needs the care webhooks get (public addresses only), which no issue has asked for yet.
 */
export async function receiveDocument(ctx: Context, tmpDir: string, maxBytes: number): Promise<Upload> {
  // type-is answers null for a request without a body, whatever its type.
  if (ctx.is(RAW_TYPES) === null) throw azureError('InvalidArgument', 'ParameterMissing', 'The request has no document: send it as the body, or as JSON {"base64Source": "…"}');
  const isJson = Boolean(ctx.is('application/json'));
  if (!isJson && !ctx.is(RAW_TYPES)) {
    throw azureError('UnsupportedMediaType', 'UnsupportedMediaType', `Send the document as the body (${RAW_TYPES.join(', ')}) or as JSON {"base64Source": "…"}`);
  }
  const decoder = isJson ? createBase64SourceDecoder(Math.ceil(maxBytes / 3) * 4 + JSON_SLACK_BYTES) : undefined;
  const upload = await receiveBody(ctx, tmpDir, { fileName: 'document', maxBytes, ...(decoder ? { decode: decoder.stream } : {}) });
  try {
    const outcome = decoder?.outcome();
    if (outcome?.problem && !outcome.problem.tooLarge) throw azureError('InvalidArgument', 'InvalidContentSourceFormat', `Invalid content source: ${outcome.problem.message}`);
    if (upload.tooLarge || outcome?.problem?.tooLarge) throw azureError('InvalidRequest', 'InvalidContentLength', `The document is larger than ${maxBytes / (1024 * 1024)} MB, the most this server accepts`);
    if (outcome?.urlSource) throw azureError('InvalidRequest', 'UrlSourceNotSupported', 'This server does not fetch documents from URLs: send the document itself, as the body or as base64Source');
    if (outcome && !outcome.base64Source) throw azureError('InvalidArgument', 'ParameterMissing', 'The parameter base64Source is required (urlSource is not supported here).');
    if (upload.size === 0) throw azureError('InvalidRequest', 'InvalidContent', 'The document is empty');
    return upload;
  } catch (err) {
    await upload.discard();
    throw err;
  }
}
