/**
 * The Azure Document Intelligence–compatible read API, driven by Microsoft's own client
 * (@azure-rest/ai-document-intelligence): begin analyze, poll with its poller, read the result,
 * fetch the searchable PDF (checked with poppler's pdfinfo and pdftotext). A PDF and an image, raw
 * and as base64Source, `pages`, text and Markdown, spans in each string index type, the refusals
 * (urlSource, a bad key, an unknown result) in Azure's error shape, and the older /formrecognizer root.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import DocumentIntelligence, {
  getLongRunningPoller, isUnexpected, parseResultIdFromResponse,
  type AnalyzeOperationOutput, type AnalyzeResultOutput, type DocumentIntelligenceClient,
} from '@azure-rest/ai-document-intelligence';
import type { z } from 'zod';
import { AnalyzeOperation, AzureError } from '../../src/api/openapi/azure.js';
import { markdownToPlainText } from '../../src/export/plain-text.js';
import { testEnv } from '../helpers/env.js';
import { taggedImage } from '../helpers/images.js';
import { stubMarkdown } from '../helpers/model-stub.js';
import { makePdf } from '../helpers/pdfs.js';
import { getJson, startStack, waitForTask, type Stack } from '../helpers/stack.js';

const run = promisify(execFile);
const PASSWORD = 'test-pw';
const unknownId = '00000000-0000-4000-8000-000000000000';

let stack: Stack;
let client: DocumentIntelligenceClient;
before(async () => {
  // 1 MB limits, so that a document over them is cheap to send.
  stack = await startStack({ env: { PDF_DPI: '72', BATCH_SIZE: '4', CONCURRENCY: '2', MAX_RETRIES: '2', MAX_PDF_SIZE_MB: '1', MAX_IMAGE_SIZE_MB: '1' } });
  // The endpoint is our base URL with the password prefix; the key is the password too.
  client = DocumentIntelligence(stack.api, { key: PASSWORD }, { allowInsecureConnection: true });
});
after(() => stack?.stop());

type AnalyzeQuery = { pages?: string; output?: Array<'pdf'>; outputContentFormat?: 'text' | 'markdown'; stringIndexType?: 'textElements' | 'unicodeCodePoint' | 'utf16CodeUnit' };

const analyzeRaw = (body: Buffer, queryParameters: AnalyzeQuery = {}, on = client) =>
  on.path('/documentModels/{modelId}:analyze', 'prebuilt-read').post({ contentType: 'application/octet-stream', body, queryParameters });

/** Begins an analyze, polls it to the end with the SDK's poller, and returns the result and its id. */
async function analyzed(initial: Awaited<ReturnType<typeof analyzeRaw>>, on = client): Promise<{ resultId: string; result: AnalyzeResultOutput; operation: AnalyzeOperationOutput }> {
  if (isUnexpected(initial)) throw new Error(`analyze refused: ${initial.status} ${JSON.stringify(initial.body)}`);
  assert.equal(initial.status, '202');
  assert.equal(initial.headers['retry-after'], '1');
  assert.ok(initial.headers['apim-request-id'], 'apim-request-id');
  const location = initial.headers['operation-location'];
  // The SDKs' own parsing (Python's is the same pattern, anchored): it wants /documentintelligence right after the host.
  const resultId = parseResultIdFromResponse(initial);
  assert.match(location, new RegExp(`^http://127\\.0\\.0\\.1:\\d+/documentintelligence/documentModels/prebuilt-read/analyzeResults/${resultId}\\?api-version=2024-11-30$`));
  assert.ok(!location.includes(PASSWORD), 'the client sent its key: the password stays out of the answer');
  const operation = (await getLongRunningPoller(on, initial).pollUntilDone()).body as AnalyzeOperationOutput;
  assert.equal(operation.status, 'succeeded', JSON.stringify(operation.error));
  return { resultId, result: operation.analyzeResult!, operation };
}

/** The answer is what the OpenAPI document says: parsing keeps only documented fields, so an undocumented one makes the two differ. */
function assertShape(schema: z.ZodType, body: unknown, what: string) {
  const parsed = schema.safeParse(body);
  assert.ok(parsed.success, `${what}: ${parsed.error?.message}`);
  assert.deepEqual(parsed.data, body, `${what}: a field the document does not have`);
}

/** Each span of the result, read back from `content` in the result's own unit. */
function spanText(result: AnalyzeResultOutput, span: { offset: number; length: number }): string {
  const units = result.stringIndexType === 'utf16CodeUnit' ? result.content.split('')
    : result.stringIndexType === 'unicodeCodePoint' ? [...result.content]
      : [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(result.content)].map((s) => s.segment);
  return units.slice(span.offset, span.offset + span.length).join('');
}

/** Every page, line and paragraph span reads back the text it claims, and pages hold their own text in order. */
function assertSpans(result: AnalyzeResultOutput, pageTexts: string[]): void {
  assert.deepEqual(result.pages.map((page) => spanText(result, page.spans[0]!)), pageTexts);
  for (const page of result.pages) {
    assert.deepEqual(page.words, [], 'no word positions: a vision model gives none');
    for (const line of page.lines ?? []) {
      assert.equal(spanText(result, line.spans[0]!), line.content);
      assert.equal(line.polygon, undefined, 'no invented coordinates');
    }
    assert.deepEqual((page.lines ?? []).map((line) => line.content), spanText(result, page.spans[0]!).split('\n').map((l) => l.trim()).filter(Boolean));
  }
  for (const paragraph of result.paragraphs ?? []) assert.equal(spanText(result, paragraph.spans[0]!), paragraph.content);
}

async function pdfinfoPages(file: string): Promise<number> {
  const { stdout } = await run('pdfinfo', [file]);
  return Number(/^Pages:\s+(\d+)/m.exec(stdout)?.[1]);
}
async function pageText(file: string, page: number): Promise<string> {
  const { stdout } = await run('pdftotext', ['-f', String(page), '-l', String(page), '-enc', 'UTF-8', file, '-']);
  return stdout.replace(/\s+/g, ' ').trim();
}

describe('a PDF through the official client', () => {
  test('pages=1,3 with output=pdf: text content, inch page sizes, spans into content, and the searchable PDF', async () => {
    const tags = [311, 312, 313];
    const { resultId, result, operation } = await analyzed(await analyzeRaw(makePdf(tags), { pages: '1,3', output: ['pdf'], stringIndexType: 'utf16CodeUnit' }));
    assert.match(operation.createdDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assertShape(AnalyzeOperation, operation, 'the operation');
    assert.equal(result.modelId, 'prebuilt-read');
    assert.equal(result.apiVersion, '2024-11-30');
    assert.equal(result.contentFormat, 'text');
    assert.equal(result.stringIndexType, 'utf16CodeUnit');
    const texts = [311, 313].map((tag) => markdownToPlainText(stubMarkdown(tag)).trimEnd());
    assert.equal(result.content, texts.join('\n\n'));
    assert.doesNotMatch(result.content, /[#$]/, 'plain text: no Markdown syntax, no math delimiters');
    assert.deepEqual(result.pages.map((p) => [p.pageNumber, p.unit, p.width, p.height, p.angle]), [[1, 'inch', 8.2639, 11.6944, 0], [3, 'inch', 8.2639, 11.6944, 0]]);
    assertSpans(result, texts);
    // Plain text sets its blocks off by blank lines: the heading, the line of text, the formula.
    assert.deepEqual(result.paragraphs?.map((p) => p.content), texts.flatMap((text) => text.split('\n\n')));
    assert.equal(result.paragraphs?.length, 6);
    assert.deepEqual(result.styles, []);

    // An ordinary task, visible everywhere else too.
    const { body } = await getJson<{ data: { status: string; total_pages: number; metadata: Record<string, unknown> } }>(`${stack.api}/api/tasks/${resultId}`);
    assert.deepEqual([body.data.status, body.data.total_pages, body.data.metadata.source], ['completed', 2, 'azure_read']);

    const pdf = await client.path('/documentModels/{modelId}/analyzeResults/{resultId}/pdf', 'prebuilt-read', resultId).get().asNodeStream();
    assert.equal(pdf.status, '200');
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    const chunks: Buffer[] = [];
    for await (const chunk of pdf.body!) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
    const file = path.join(testEnv.scratchDir, `azure-${resultId}.pdf`);
    await writeFile(file, bytes);
    assert.equal(await pdfinfoPages(file), 3, "the original's pages");
    assert.match(await pageText(file, 1), /Tagged image number 311/);
    assert.match(await pageText(file, 3), /Tagged image number 313/);
  });

  test('base64Source JSON, Markdown content with Azure\'s page breaks, spans in text elements (the default)', async () => {
    const tags = [321, 322];
    stack.stub.script([{ kind: 'ok', content: '# Grüße 👍🏽\n\nZeile zwei 👨‍👩‍👧 ende' }], 322);
    const initial = await client.path('/documentModels/{modelId}:analyze', 'prebuilt-read').post({
      contentType: 'application/json',
      body: { base64Source: makePdf(tags).toString('base64') },
      queryParameters: { outputContentFormat: 'markdown' },
    });
    const { result } = await analyzed(initial);
    assert.equal(result.contentFormat, 'markdown');
    assert.equal(result.stringIndexType, 'textElements');
    const texts = [stubMarkdown(321), '# Grüße 👍🏽\n\nZeile zwei 👨‍👩‍👧 ende'];
    assert.equal(result.content, texts.join('\n\n<!-- PageBreak -->\n\n'));
    assertSpans(result, texts);
    assert.deepEqual(result.paragraphs?.slice(-2).map((p) => p.content), ['# Grüße 👍🏽', 'Zeile zwei 👨‍👩‍👧 ende'], 'paragraphs between blank lines');
    const emojiLine = result.pages[1]!.lines!.at(-1)!;
    assert.equal(emojiLine.spans[0]!.length, 'Zeile zwei '.length + 1 + ' ende'.length, 'the family emoji is one text element');
  });

  test('/pdf of an analyze that did not ask for output=pdf is Azure\'s OutputOptionNotFound', async () => {
    const { resultId } = await analyzed(await analyzeRaw(makePdf([331])));
    const res = await client.path('/documentModels/{modelId}/analyzeResults/{resultId}/pdf', 'prebuilt-read', resultId).get();
    assert.ok(isUnexpected(res));
    assert.deepEqual([res.status, res.body.error.code, res.body.error.innererror?.code], ['404', 'NotFound', 'OutputOptionNotFound']);
  });
});

describe('an image through the official client', () => {
  test('unprefixed endpoint with the key: Markdown as the model wrote it, pixel sizes', async () => {
    const keyed = DocumentIntelligence(stack.origin, { key: PASSWORD }, { allowInsecureConnection: true });
    const initial = await analyzeRaw(await taggedImage(341, 'png', 400, 60), { outputContentFormat: 'markdown' }, keyed);
    const { result } = await analyzed(initial, keyed);
    assert.equal(result.content, stubMarkdown(341));
    assert.deepEqual(result.pages.map((p) => [p.pageNumber, p.unit, p.width, p.height]), [[1, 'pixel', 400, 60]]);
    assertSpans(result, [stubMarkdown(341)]);
  });
});

describe('behind a TLS proxy', () => {
  test('Operation-Location names the scheme and host the client called (X-Forwarded-Proto, X-Forwarded-Host), and the prefix when no key was sent', async () => {
    const res = await fetch(`${stack.api}/documentintelligence/documentModels/prebuilt-read:analyze?api-version=2024-11-30`, {
      method: 'POST', headers: { 'content-type': 'application/pdf', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'ocr.example.org' }, body: new Uint8Array(makePdf([391])),
    });
    assert.equal(res.status, 202);
    assert.equal(await res.text(), '', 'no body');
    assert.match(res.headers.get('operation-location') ?? '', new RegExp(`^https://ocr\\.example\\.org/${PASSWORD}/documentintelligence/documentModels/prebuilt-read/analyzeResults/[0-9a-f-]{36}\\?api-version=2024-11-30$`));
  });
});

describe('outcomes other than success', () => {
  test('a partial task succeeds with the pages read and a warning for the failed one; a failed task is failed with an Azure error', async () => {
    stack.stub.script([{ kind: 'status', status: 400, message: 'bad image' }], 352);
    const { result } = await analyzed(await analyzeRaw(makePdf([351, 352]), { stringIndexType: 'unicodeCodePoint' }));
    assert.deepEqual(result.pages.map((p) => p.spans[0]!.length > 0), [true, false]);
    assert.deepEqual(result.warnings?.map((w) => [w.code, w.target]), [['PageNotRead', '2']]);
    assertShape(AnalyzeOperation.shape.analyzeResult, result, 'a result with warnings');

    stack.stub.script([{ kind: 'status', status: 400, message: 'bad image' }], 353);
    const initial = await analyzeRaw(makePdf([353]));
    assert.ok(!isUnexpected(initial));
    await assert.rejects(getLongRunningPoller(client, initial).pollUntilDone());
    const resultId = /analyzeResults\/([^?]+)/.exec(initial.headers['operation-location'])![1]!;
    await waitForTask(stack, resultId);
    const res = await client.path('/documentModels/{modelId}/analyzeResults/{resultId}', 'prebuilt-read', resultId).get();
    assert.ok(!isUnexpected(res));
    assert.equal(res.body.status, 'failed');
    assertShape(AnalyzeOperation, res.body, 'a failed operation');
    assert.equal(res.body.error?.code, 'InternalServerError');
    assert.ok(res.body.error?.innererror?.message, 'what went wrong');
  });
});

describe('refusals in Azure\'s shape', () => {
  interface AzureErrorBody { error: { code: string; message: string; innererror?: { code: string; message: string } } }
  const errorOf = (res: { status: string; body: unknown }) => {
    assertShape(AzureError, res.body, `a ${res.status}`);
    const body = res.body as AzureErrorBody;
    return [res.status, body.error.code, body.error.innererror?.code];
  };

  test('urlSource is refused, not fetched', async () => {
    const res = await client.path('/documentModels/{modelId}:analyze', 'prebuilt-read').post({ contentType: 'application/json', body: { urlSource: 'http://127.0.0.1:9/x.pdf' } });
    assert.deepEqual(errorOf(res), ['400', 'InvalidRequest', 'UrlSourceNotSupported']);
  });

  test('a wrong key is a 401, under the prefix and without it; the password is in no answer', async () => {
    for (const endpoint of [stack.api, stack.origin]) {
      const wrong = DocumentIntelligence(endpoint, { key: 'not-the-password' }, { allowInsecureConnection: true });
      const res = await analyzeRaw(makePdf([361]), {}, wrong);
      assert.deepEqual(errorOf(res), ['401', '401', undefined], endpoint);
      assert.match((res.body as AzureErrorBody).error.message, /^Access denied due to invalid subscription key or wrong API endpoint/);
      assert.ok(!JSON.stringify(res.body).includes(PASSWORD));
    }
    const none = await fetch(`${stack.origin}/documentintelligence/documentModels/prebuilt-read/analyzeResults/${unknownId}?api-version=2024-11-30`);
    assert.equal(none.status, 401, 'no key, no prefix');
  });

  test('a document over the size limit, raw or as base64Source, is InvalidContentLength (and the client reads the answer)', async () => {
    const big = randomBytes(1536 * 1024);
    assert.deepEqual(errorOf(await analyzeRaw(big)), ['400', 'InvalidRequest', 'InvalidContentLength']);
    const json = await client.path('/documentModels/{modelId}:analyze', 'prebuilt-read').post({ contentType: 'application/json', body: { base64Source: big.toString('base64') } });
    assert.deepEqual(errorOf(json), ['400', 'InvalidRequest', 'InvalidContentLength']);
  });

  test('an unknown or malformed result id is a 404 NotFound / OperationNotFound', async () => {
    for (const id of [unknownId, 'not-an-id']) {
      const res = await client.path('/documentModels/{modelId}/analyzeResults/{resultId}', 'prebuilt-read', id).get();
      assert.deepEqual(errorOf(res), ['404', 'NotFound', 'OperationNotFound'], id);
    }
  });

  test('bad parameters, pages beyond the document, a type that is no document, an unknown api-version, another model', async () => {
    assert.deepEqual(errorOf(await analyzeRaw(makePdf([371]), { pages: '2' })), ['400', 'InvalidArgument', 'InvalidParameter']);
    assert.deepEqual(errorOf(await analyzeRaw(makePdf([371]), { pages: '3-1' })), ['400', 'InvalidArgument', 'InvalidParameter']);
    assert.deepEqual(errorOf(await analyzeRaw(makePdf([371]), { outputContentFormat: 'html' as never })), ['400', 'InvalidArgument', 'InvalidParameter']);
    assert.deepEqual(errorOf(await analyzeRaw(Buffer.from('just some text, not a document'))), ['400', 'InvalidRequest', 'InvalidContent']);
    const analyzeUrl = `${stack.api}/documentintelligence/documentModels/prebuilt-read:analyze`;
    const post = async (url: string, init: RequestInit) => {
      const res = await fetch(url, { method: 'POST', ...init });
      return { status: String(res.status), body: await res.json() };
    };
    assert.deepEqual(errorOf(await post(`${analyzeUrl}?api-version=2024-11-30`, { headers: { 'content-type': 'text/plain' }, body: 'x' })), ['415', 'UnsupportedMediaType', 'UnsupportedMediaType']);
    assert.deepEqual(errorOf(await post(`${analyzeUrl}?api-version=2024-11-30`, { headers: { 'content-type': 'application/json' }, body: '{"base64Source": "not base64!"}' })), ['400', 'InvalidArgument', 'InvalidContentSourceFormat']);
    assert.deepEqual(errorOf(await post(`${analyzeUrl}?api-version=2024-11-30`, { headers: { 'content-type': 'application/json' }, body: '{}' })), ['400', 'InvalidArgument', 'ParameterMissing']);
    assert.deepEqual(errorOf(await post(`${analyzeUrl}?api-version=2099-01-01`, { headers: { 'content-type': 'application/pdf' }, body: new Uint8Array(makePdf([371])) })), ['404', '404', undefined]);
    assert.deepEqual(errorOf(await post(`${analyzeUrl}`, { headers: { 'content-type': 'application/pdf' }, body: new Uint8Array(makePdf([371])) })), ['404', '404', undefined]);
    const layout = await client.path('/documentModels/{modelId}:analyze', 'prebuilt-layout').post({ contentType: 'application/octet-stream', body: makePdf([371]) });
    assert.deepEqual(errorOf(layout), ['404', '404', undefined]);
    const wrongMethod = await fetch(`${analyzeUrl}?api-version=2024-11-30`, { method: 'GET' });
    assert.deepEqual([wrongMethod.status, ((await wrongMethod.json()) as AzureErrorBody).error.code], [405, 'MethodNotAllowed']);
  });
});

describe('the older /formrecognizer root', () => {
  test('api-version 2023-07-31: analyze, poll the Operation-Location, a result without contentFormat', async () => {
    const res = await fetch(`${stack.origin}/formrecognizer/documentModels/prebuilt-read:analyze?api-version=2023-07-31`, {
      method: 'POST', headers: { 'content-type': 'application/pdf', 'ocp-apim-subscription-key': PASSWORD }, body: new Uint8Array(makePdf([381])),
    });
    assert.equal(res.status, 202);
    const location = res.headers.get('operation-location')!;
    assert.match(location, /\/formrecognizer\/documentModels\/prebuilt-read\/analyzeResults\/[0-9a-f-]+\?api-version=2023-07-31$/);
    await waitForTask(stack, /analyzeResults\/([^?]+)/.exec(location)![1]!);
    const poll = await fetch(location, { headers: { 'ocp-apim-subscription-key': PASSWORD } });
    const body = (await poll.json()) as AnalyzeOperationOutput;
    assert.equal(body.status, 'succeeded');
    assert.equal(body.analyzeResult?.apiVersion, '2023-07-31');
    assert.equal(body.analyzeResult?.contentFormat, undefined);
    assert.equal(body.analyzeResult?.content, markdownToPlainText(stubMarkdown(381)).trimEnd());
  });
});
