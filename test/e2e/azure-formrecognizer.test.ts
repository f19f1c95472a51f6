/**
 * The older Azure read API (/formrecognizer, api-version 2022-08-31) driven by a second real client
 * in another language: Debian's azure.ai.formrecognizer (python3-azure, installed by .ci/run), its
 * DocumentAnalysisClient polling to the end (test/helpers/formrecognizer-client.py). A PDF with
 * `pages`, an image, and a wrong key.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { markdownToPlainText } from '../../src/export/plain-text.js';
import { testEnv } from '../helpers/env.js';
import { taggedImage } from '../helpers/images.js';
import { stubMarkdown } from '../helpers/model-stub.js';
import { makePdf } from '../helpers/pdfs.js';
import { startStack, type Stack } from '../helpers/stack.js';

const run = promisify(execFile);
const CLIENT = fileURLToPath(new URL('../helpers/formrecognizer-client.py', import.meta.url));
/** Debian's own Python, which has Debian's python3-azure (a pyenv or venv python on PATH would not). */
const PYTHON = '/usr/bin/python3';
const PASSWORD = 'test-pw';

let stack: Stack;
before(async () => {
  stack = await startStack({ env: { PDF_DPI: '72', BATCH_SIZE: '4', CONCURRENCY: '2' } });
});
after(() => stack?.stop());

interface Analyzed {
  model_id: string; api_version: string; content: string;
  pages: Array<{ page_number: number; width: number; height: number; unit: string; lines: string[]; spans: Array<[number, number]> }>;
  paragraphs: string[];
}
interface Refused { error: string; status: number; code: string | null; message: string }

async function analyze(bytes: Buffer, name: string, { key = PASSWORD, pages }: { key?: string; pages?: string } = {}): Promise<{ code: number; out: Analyzed | Refused }> {
  const file = path.join(testEnv.scratchDir, name);
  await writeFile(file, bytes);
  try {
    const { stdout } = await run(PYTHON, [CLIENT, stack.api, key, file, ...(pages ? [pages] : [])], { timeout: 60_000 });
    return { code: 0, out: JSON.parse(stdout) as Analyzed };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    if (failed.code !== 3) throw new Error(`the Python client failed: ${failed.stderr}`, { cause: err });
    return { code: 3, out: JSON.parse(failed.stdout!) as Refused };
  }
}

test('a PDF with pages=1,3: its text, inch sizes, lines and spans into the content', async () => {
  const tags = [1701, 1702, 1703];
  const { code, out } = await analyze(makePdf(tags), 'three.pdf', { pages: '1,3' });
  assert.equal(code, 0);
  const result = out as Analyzed;
  assert.equal(result.model_id, 'prebuilt-read');
  assert.equal(result.api_version, '2022-08-31');
  const texts = [1701, 1703].map((tag) => markdownToPlainText(stubMarkdown(tag)));
  assert.equal(result.content, texts.join('\n\n'));
  assert.deepEqual(result.pages.map((p) => [p.page_number, p.unit, p.width, p.height]), [[1, 'inch', 8.2639, 11.6944], [3, 'inch', 8.2639, 11.6944]]);
  for (const [i, page] of result.pages.entries()) {
    const [[offset, length]] = page.spans as [[number, number]];
    assert.equal(result.content.slice(offset, offset + length), texts[i]);
    assert.deepEqual(page.lines, texts[i]!.split('\n').filter((line) => line.trim() !== ''));
  }
  assert.equal(result.paragraphs.length, 6, 'heading, text and formula of each page');
});

test('an image: one page in pixels', async () => {
  const { code, out } = await analyze(await taggedImage(1710, 'png', 320, 48), 'one.png');
  assert.equal(code, 0);
  const result = out as Analyzed;
  assert.equal(result.content, markdownToPlainText(stubMarkdown(1710)));
  assert.deepEqual(result.pages.map((p) => [p.page_number, p.unit, p.width, p.height]), [[1, 'pixel', 320, 48]]);
});

test('a wrong key: the client raises its authentication error, a 401', async () => {
  const { code, out } = await analyze(await taggedImage(1711), 'denied.png', { key: 'not-the-password' });
  assert.equal(code, 3);
  const refused = out as Refused;
  assert.deepEqual([refused.error, refused.status], ['ClientAuthenticationError', 401]);
  assert.match(refused.message, /Access denied/);
  assert.doesNotMatch(JSON.stringify(refused), new RegExp(PASSWORD));
});
