/**
 * A task as Azure's analyze operation: its status, and once it has succeeded the `analyzeResult`
 * of the read model, filled as far as a vision model's answer honestly allows. `content` is the
 * pages' text in order; each page, line and paragraph points into it with spans. There are no
 * coordinates: a vision model reads text, not where it is, so words are empty and lines and
 * paragraphs carry no polygon or bounding region rather than invented ones. Pure: routes.ts reads
 * the rows, this shapes them.
 */
import type { TaskStatus } from '../../contract/index.js';
import type { ContentFormat, StringIndexType } from './request.js';
import type { AzureErrorBody } from './errors.js';

export type OperationStatus = 'notStarted' | 'running' | 'succeeded' | 'failed';

/**
 * A partial task succeeded with the pages that were read (each failed one is a warning, with an
 * empty page): a client such as paperless-ngx then keeps what was recognised, where a `failed`
 * would throw it all away. A cancelled task is failed: no client waits for a `canceled` it did not ask for.
 */
export const OPERATION_STATUS: Record<TaskStatus, OperationStatus> = {
  pending: 'notStarted', processing: 'running', completed: 'succeeded', partial: 'succeeded', failed: 'failed', cancelled: 'failed',
};

export interface Span { offset: number; length: number }
interface Line { content: string; spans: Span[] }
interface Paragraph { content: string; spans: Span[] }
interface Page {
  pageNumber: number; angle: number; width?: number; height?: number; unit?: 'pixel' | 'inch';
  words: never[]; lines: Line[]; spans: Span[];
}
export interface AnalyzeResult {
  apiVersion: string; modelId: 'prebuilt-read'; stringIndexType: StringIndexType; contentFormat?: ContentFormat;
  content: string; pages: Page[]; paragraphs: Paragraph[]; styles: never[];
  warnings?: Array<{ code: string; message: string; target: string }>;
}

/** One page of the task, in page order: its text in the answer's format, or why it has none. */
export interface ResultPage {
  pageNumber: number;
  text: string | undefined;
  /** Why the page has no text (it failed); undefined for a read page. */
  error?: string;
  size?: { width: number; height: number; unit: 'pixel' | 'inch' };
}

/**
 * Between two pages' text. Markdown carries Azure's own page-break marker (an HTML comment, so
 * renderers show nothing), set off by blank lines so that it never joins a paragraph.
 */
export const PAGE_BREAK: Record<ContentFormat, string> = { text: '\n\n', markdown: '\n\n<!-- PageBreak -->\n\n' };

export function analyzeResultOf(input: { apiVersion: string; contentFormat?: ContentFormat; stringIndexType: StringIndexType; pages: ResultPage[] }): AnalyzeResult {
  const separator = PAGE_BREAK[input.contentFormat ?? 'text'];
  let content = '';
  const pages: Page[] = [];
  const paragraphs: Paragraph[] = [];
  const warnings: NonNullable<AnalyzeResult['warnings']> = [];
  for (const page of input.pages) {
    // CR LF is one text element: splitting lines between its two halves would split a character.
    const text = (page.text ?? '').replace(/\r\n?/g, '\n').trimEnd();
    if (text !== '' && content !== '') content += separator;
    const offset = content.length;
    content += text;
    const blocks = linesOf(text, offset);
    pages.push({
      pageNumber: page.pageNumber, angle: 0, ...page.size,
      words: [], lines: blocks.map(({ line }) => line), spans: [{ offset, length: text.length }],
    });
    paragraphs.push(...paragraphsOf(text, offset, blocks));
    if (page.text === undefined) warnings.push({ code: 'PageNotRead', message: `Page ${page.pageNumber} could not be read: ${page.error ?? 'unknown error'}`, target: String(page.pageNumber) });
  }
  const result: AnalyzeResult = {
    apiVersion: input.apiVersion, modelId: 'prebuilt-read', stringIndexType: input.stringIndexType,
    ...(input.contentFormat ? { contentFormat: input.contentFormat } : {}),
    content, pages, paragraphs, styles: [], ...(warnings.length ? { warnings } : {}),
  };
  convertSpans(result, input.stringIndexType);
  return result;
}

/** The page's lines that have text (trimmed), each with the paragraph it starts or continues. */
function linesOf(text: string, base: number): Array<{ line: Line; start: number; end: number; paragraphStart: boolean }> {
  const lines: Array<{ line: Line; start: number; end: number; paragraphStart: boolean }> = [];
  let afterBlank = true;
  let at = 0;
  for (const raw of text.split('\n')) {
    const lead = raw.length - raw.trimStart().length;
    const content = raw.trim();
    if (content === '') afterBlank = true;
    else {
      const start = at + lead;
      lines.push({ line: { content, spans: [{ offset: base + start, length: content.length }] }, start, end: start + content.length, paragraphStart: afterBlank });
      afterBlank = false;
    }
    at += raw.length + 1;
  }
  return lines;
}

/** Paragraphs: runs of lines between blank lines; the content is the text they span, line breaks included. */
function paragraphsOf(text: string, base: number, lines: ReturnType<typeof linesOf>): Paragraph[] {
  const paragraphs: Paragraph[] = [];
  for (let i = 0; i < lines.length;) {
    let j = i;
    while (j + 1 < lines.length && !lines[j + 1]!.paragraphStart) j++;
    const [start, end] = [lines[i]!.start, lines[j]!.end];
    paragraphs.push({ content: text.slice(start, end), spans: [{ offset: base + start, length: end - start }] });
    i = j + 1;
  }
  return paragraphs;
}

/**
 * Spans are built in UTF-16 code units (JavaScript's string indices); this restates them in the
 * unit the client asked for: Unicode code points, or text elements (grapheme clusters, Azure's
 * default: "👍🏽" is one). Every span starts and ends at a line or page edge, which is a boundary in each unit.
 */
function convertSpans(result: AnalyzeResult, unit: StringIndexType): void {
  if (unit === 'utf16CodeUnit') return;
  const starts = unitStarts(result.content, unit);
  /** How many units begin before UTF-16 index `i` (binary search over their starts). */
  const index = (i: number) => {
    let [low, high] = [0, starts.length];
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (starts[mid]! < i) low = mid + 1;
      else high = mid;
    }
    return low;
  };
  const convert = (span: Span) => {
    const offset = index(span.offset);
    span.length = index(span.offset + span.length) - offset;
    span.offset = offset;
  };
  for (const page of result.pages) {
    page.spans.forEach(convert);
    for (const line of page.lines) line.spans.forEach(convert);
  }
  for (const paragraph of result.paragraphs) paragraph.spans.forEach(convert);
}

/** Where each code point or text element of `content` starts, as a UTF-16 index. */
function unitStarts(content: string, unit: Exclude<StringIndexType, 'utf16CodeUnit'>): number[] {
  const starts: number[] = [];
  if (unit === 'unicodeCodePoint') {
    for (let i = 0; i < content.length; i += content.codePointAt(i)! > 0xffff ? 2 : 1) starts.push(i);
  } else {
    for (const { index } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(content)) starts.push(index);
  }
  return starts;
}

/** The Azure error a failed or cancelled task reports in its operation (its code kept as innererror). */
export function operationError(task: { status: TaskStatus; error_code: string | null; error_message: string | null }): AzureErrorBody['error'] {
  if (task.status === 'cancelled') {
    return { code: 'Conflict', message: 'The analyze operation was cancelled.', innererror: { code: 'OperationCancelled', message: task.error_message ?? 'cancelled' } };
  }
  return {
    code: 'InternalServerError', message: 'The document could not be analyzed.',
    innererror: { code: task.error_code ?? 'Unknown', message: task.error_message ?? 'Unknown error.' },
  };
}
