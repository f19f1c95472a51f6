/**
 * The Azure Document Intelligence–compatible routes (api/azure/) in the OpenAPI document: their
 * query parameters and answers in zod, as operations.ts lists ours. Their errors are Azure's
 * `{"error": {…}}`, not `{detail, code}`; document.ts also lists them unprefixed, with the key in
 * `Ocp-Apim-Subscription-Key`. test/e2e/azure-read.test.ts checks real answers against these shapes.
 */
import { z } from 'zod';
import { CONTENT_FORMATS, STRING_INDEX_TYPES, SURFACES, type Surface } from '../azure/request.js';
import { analyzePath, resultPath } from '../azure/routes.js';
import type { Operation } from './operations.js';
import { Binary } from './responses.js';

export const AZURE_TAG = 'Azure Document Intelligence–compatible';

const int = z.number().int();
const Span = z.object({ offset: int, length: int }).meta({ id: 'AzureSpan', description: 'Where in `content` (in the unit of `stringIndexType`)' });

export const AzureError = z.object({
  error: z.object({
    code: z.string().meta({ description: "One of Azure's top-level codes (InvalidRequest, InvalidArgument, NotFound, UnsupportedMediaType, …), or the status for the gateway's own 401 and 404", example: 'InvalidRequest' }),
    message: z.string(),
    innererror: z.object({ code: z.string().meta({ example: 'InvalidContent' }), message: z.string() }).optional().meta({ description: 'What went wrong' }),
  }),
}).meta({ id: 'AzureError' });

const Line = z.object({ content: z.string(), spans: z.array(Span) }).meta({ id: 'AzureLine', description: 'A line of the page with text (no polygon: a vision model gives no positions)' });
const Paragraph = z.object({ content: z.string(), spans: z.array(Span) }).meta({ id: 'AzureParagraph', description: 'Lines between blank lines (no bounding regions)' });
const Page = z.object({
  pageNumber: int.meta({ description: 'In the document (with `pages`, only those asked for are listed)' }),
  angle: z.number().meta({ description: 'Always 0: pages are read upright' }),
  width: z.number().optional(),
  height: z.number().optional().meta({ description: 'A PDF page as displayed in inches, an image in pixels; missing once the file is no longer stored' }),
  unit: z.enum(['pixel', 'inch']).optional(),
  words: z.array(z.object({})).max(0).meta({ description: 'Always empty: a vision model reads text, not where each word is' }),
  lines: z.array(Line),
  spans: z.array(Span).meta({ description: "The page's text in `content` (length 0 for a page that failed)" }),
}).meta({ id: 'AzurePage' });

export const AnalyzeResult = z.object({
  apiVersion: z.string(),
  modelId: z.literal('prebuilt-read'),
  stringIndexType: z.enum(STRING_INDEX_TYPES),
  contentFormat: z.enum(CONTENT_FORMATS).optional().meta({ description: 'Under /documentintelligence only' }),
  content: z.string().meta({ description: 'The pages in order: plain text (Markdown syntax removed, formulas as their TeX) separated by a blank line, or the Markdown separated by `<!-- PageBreak -->`' }),
  pages: z.array(Page),
  paragraphs: z.array(Paragraph),
  styles: z.array(z.object({})).max(0),
  warnings: z.array(z.object({ code: z.string(), message: z.string(), target: z.string() })).optional()
    .meta({ description: 'One `PageNotRead` per page that failed (target: its number); its text is empty' }),
}).meta({ id: 'AzureAnalyzeResult' });

export const AnalyzeOperation = z.object({
  status: z.enum(['notStarted', 'running', 'succeeded', 'failed']).meta({ description: 'notStarted: pending; running: processing; succeeded: completed, or partial (see warnings); failed: failed or cancelled' }),
  createdDateTime: z.string().meta({ format: 'date-time' }),
  lastUpdatedDateTime: z.string().meta({ format: 'date-time' }),
  analyzeResult: AnalyzeResult.optional().meta({ description: 'Once succeeded' }),
  error: AzureError.shape.error.optional().meta({ description: 'Once failed' }),
}).meta({ id: 'AzureAnalyzeOperation' });

const apiVersion = (surface: Surface) => z.enum(surface.apiVersions as [string, ...string[]]).meta({ description: 'Required; any other version is answered 404 as Azure does' });
const resultParams = z.object({ resultId: z.string().meta({ description: 'The task id that Operation-Location names', format: 'uuid' }) });

const errors = (cases: Record<number, string>) =>
  Object.fromEntries(Object.entries(cases).map(([status, description]) => [Number(status), { description, schema: AzureError }]));
const ACCESS = { 401: 'A missing or wrong Ocp-Apim-Subscription-Key (code "401")', 404: 'An unknown api-version or path (code "404")' };

export function azureOperations(maxMb: { image: number; pdf: number }): Operation[] {
  return SURFACES.flatMap((surface): Operation[] => {
    const v = surface.v4 ? '' : 'V3';
    const name = surface.v4 ? 'Document Intelligence' : 'Form Recognizer (v3)';
    const analyzeQuery = z.object({
      'api-version': apiVersion(surface),
      pages: z.string().optional().meta({ description: 'Page ranges such as 1-3,5 (our `pages` option)' }),
      ...(surface.v4 ? {
        output: z.string().optional().meta({ description: '`pdf`: keep the searchable PDF for GET …/pdf (other outputs are refused)' }),
        outputContentFormat: z.enum(CONTENT_FORMATS).optional().meta({ description: 'text (default) or markdown (what the model wrote)' }),
      } : {}),
      stringIndexType: z.enum(STRING_INDEX_TYPES).optional().meta({ description: 'The unit of spans; default textElements (grapheme clusters), as Azure' }),
    });
    const operations: Operation[] = [
      {
        method: 'post', path: analyzePath(surface), operationId: `azureAnalyze${v}`, tag: AZURE_TAG, azure: true,
        summary: `Analyze a document with prebuilt-read (${name})`,
        description: `The document as the body (a PDF up to ${maxMb.pdf} MB or an image up to ${maxMb.image} MB, recognised by its bytes), or JSON {"base64Source": "…"}; `
          + 'a urlSource is refused (InvalidRequest / UrlSourceNotSupported). Makes an ordinary task, visible on every other route.',
        query: analyzeQuery,
        body: { contentType: 'application/octet-stream', schema: Binary, alternatives: { 'application/pdf': Binary, 'image/*': Binary, 'application/json': z.object({ base64Source: z.string().meta({ format: 'byte' }) }) } },
        ok: {
          status: 202, description: 'Accepted: poll Operation-Location',
          headers: { 'Operation-Location': '{endpoint}' + `${surface.root}/documentModels/prebuilt-read/analyzeResults/{resultId}?api-version=…`, 'Retry-After': 'Seconds to wait before polling', 'apim-request-id': 'This request' },
        },
        other: errors({ 400: 'InvalidRequest or InvalidArgument: the document or a parameter (innererror says which)', ...ACCESS, 415: 'UnsupportedMediaType: not a document type nor JSON', 503: 'ServiceUnavailable' }),
      },
      {
        method: 'get', path: resultPath(surface), operationId: `azureAnalyzeResult${v}`, tag: AZURE_TAG, azure: true,
        summary: `The analyze operation and, once it succeeded, its result (${name})`,
        params: resultParams, query: z.object({ 'api-version': apiVersion(surface) }),
        ok: { description: 'The operation (Retry-After while it runs)', schema: AnalyzeOperation, headers: { 'Retry-After': 'While notStarted or running' } },
        other: errors({ ...ACCESS, 404: 'NotFound / OperationNotFound: no such result (or an unknown api-version or path, code "404")' }),
      },
    ];
    if (surface.v4) {
      operations.push({
        method: 'get', path: `${resultPath(surface)}/pdf`, operationId: 'azureAnalyzeResultPdf', tag: AZURE_TAG, azure: true,
        summary: 'The searchable PDF of an analyze that asked for output=pdf',
        params: resultParams, query: z.object({ 'api-version': apiVersion(surface) }),
        ok: { description: 'The original pages with the recognised text as an invisible layer', content: { 'application/pdf': Binary }, headers: { ETag: 'Changes when any page\'s text does' } },
        other: errors({ ...ACCESS, 404: 'NotFound: OperationNotFound, OutputOptionNotFound (no output=pdf), ResultNotReady (not succeeded), ResultExpired (the file is no longer stored)' }),
      });
    }
    return operations;
  });
}
