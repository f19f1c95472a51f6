/**
 * GET /api/tasks/{id}/export?format=html, opened in Chromium with every request blocked: math typeset
 * by KaTeX with fonts from inside the file, a section per page, the failed page marked, and hostile
 * model output that neither runs script nor fetches the remote image it names.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchBrowser, openPage, screenshot } from '../helpers/browser.js';
import { testEnv } from '../helpers/env.js';
import { taggedImage } from '../helpers/images.js';
import { stubMarkdown, type StubAction } from '../helpers/model-stub.js';
import { makePdf } from '../helpers/pdfs.js';
import { eventually, getJson, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';

const CSP = "default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:; base-uri 'none'; form-action 'none'";

/** Stands in for a tracking pixel's server: records every request it gets. */
interface PixelServer { url: string; requests: string[]; close(): Promise<void> }
async function startPixelServer(): Promise<PixelServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let stack: Stack;
let browser: Browser;
let pixel: PixelServer;
before(async () => {
  [stack, browser, pixel] = await Promise.all([
    startStack({ env: { PDF_DPI: '72', BATCH_SIZE: '4', CONCURRENCY: '2', MAX_RETRIES: '3' } }),
    launchBrowser(),
    startPixelServer(),
  ]);
});
after(async () => {
  await browser?.close();
  await pixel?.close();
  await stack?.stop();
});

const hostileMarkdown = () => [
  '# Hostile page',
  '<script>window.__pwned = "script"; alert("script")</script>',
  '<img src=x onerror="window.__pwned = \'img\'; alert(\'img\')">',
  '[click me](javascript:window.__pwned="link")',
  '$\\href{javascript:window.__pwned="katex"}{formula}$ and $a^2 + b^2 = c^2$',
  `![pixel](${pixel.url}/pixel.png)`,
  '[a real link](https://example.com/paper)',
].join('\n\n');

/** Writes the export where Chromium can open it as a downloaded file is opened: from file://. */
async function saveExport(html: string, name: string): Promise<string> {
  const file = path.join(testEnv.scratchDir, name);
  await writeFile(file, html);
  return pathToFileURL(file).href;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The file names of a download: RFC 5987's filename* decoded, and the ASCII filename. */
function fileNames(disposition: string): { ascii: string | undefined; utf8: string | undefined } {
  const utf8 = /filename\*=UTF-8''([^;]+)/.exec(disposition)?.[1];
  return { ascii: /filename="([^"]*)"/.exec(disposition)?.[1], utf8: utf8 && decodeURIComponent(utf8) };
}

describe('a PDF with math, a failed page and a hostile page', () => {
  let taskId: string;
  let html: string;
  let failedMessage: string;
  before(async () => {
    const failing: StubAction = { kind: 'status', status: 502, message: 'bad gateway' };
    stack.stub.script([failing, failing, failing], 702);
    stack.stub.script([{ kind: 'ok', content: hostileMarkdown() }], 703);
    const { status, body } = await postFile(`${stack.api}/api/async/pdf`, makePdf([701, 702, 703, 704]), '数学 report.pdf');
    assert.equal(status, 200, JSON.stringify(body));
    taskId = String(body.task_id);
    assert.equal((await waitForTask(stack, taskId)).status, 'partial');
    const details = await getJson<{ data: { page_results: Array<{ page_number: number; error_message: string | null }> } }>(`${stack.api}/api/tasks/${taskId}`);
    failedMessage = details.body.data.page_results.find((p) => p.page_number === 2)!.error_message!;
    assert.match(failedMessage, /bad gateway/);
  });

  test('is a download named after the upload, with its own CSP', async () => {
    const res = await fetch(`${stack.api}/api/tasks/${taskId}/export?format=html`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    const disposition = res.headers.get('content-disposition') ?? '';
    assert.match(disposition, /^attachment;/);
    assert.deepEqual(fileNames(disposition), { ascii: 'report.html', utf8: '数学 report.html' });
    assert.equal(res.headers.get('content-security-policy'), CSP);
    html = await res.text();
    // The same policy inside the file, first in <head>: it is what holds once the file is saved.
    assert.match(html, new RegExp(`^<!DOCTYPE html>\\s*<html>\\s*<head>\\s*<meta charset="utf-8">\\s*<meta http-equiv="Content-Security-Policy" content="${CSP}">`));
    assert.match(html, /<title>数学 report\.pdf<\/title>/);
    assert.doesNotMatch(html, /<script/i);
  });

  test('opened offline: math typeset with the fonts inside, page anchors, the failed page marked, nothing run or fetched', async () => {
    const url = await saveExport(html, `export-${taskId}.html`);
    const { page, context, dialogs } = await openPage(browser, 'about:blank');
    // Offline: every request but the file itself is recorded and refused. A request the CSP blocks
    // never gets this far; one it let through would be listed here.
    const requested: string[] = [];
    await context.route('**/*', async (route) => {
      if (route.request().url().startsWith('file:')) return route.continue();
      requested.push(route.request().url());
      return route.abort('internetdisconnected');
    });
    // (Strings, not functions: the tests' tsconfig has no DOM types.)
    await page.addInitScript(`window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push({ uri: e.blockedURI, directive: e.effectiveDirective }));`);
    await page.goto(url);
    await page.evaluate('document.fonts.ready.then(() => true)');

    assert.equal(await page.title(), '数学 report.pdf');
    assert.equal(await page.locator('h1.doc-title').innerText(), '数学 report.pdf');
    // KaTeX's HTML and MathML, typeset in KaTeX's own fonts, loaded from data: URLs.
    assert.equal(await page.locator('.katex').count(), 6, 'inline and display math of pages 1 and 4, two formulas on page 3');
    assert.equal(await page.locator('.katex-display').count(), 2);
    assert.equal(await page.locator('math annotation[encoding="application/x-tex"]').count(), 6);
    const fonts = JSON.parse(String(await page.evaluate(`JSON.stringify({
      sources: [...document.styleSheets].flatMap((sheet) => [...sheet.cssRules])
        .filter((rule) => rule instanceof CSSFontFaceRule).map((rule) => rule.style.getPropertyValue('src')),
      loaded: [...document.fonts].filter((font) => font.status === 'loaded').map((font) => font.family),
      mathFont: getComputedStyle(document.querySelector('.katex .mathnormal')).fontFamily,
    })`))) as { sources: string[]; loaded: string[]; mathFont: string };
    assert.equal(fonts.sources.length, 20, 'KaTeX declares 20 faces');
    for (const src of fonts.sources) assert.match(src, /^url\("data:font\/woff2;base64,[A-Za-z0-9+/=]+"\) format\("woff2"\)$/, src.slice(0, 80));
    assert.ok(fonts.loaded.includes('KaTeX_Main') && fonts.loaded.includes('KaTeX_Math'), fonts.loaded.join());
    assert.match(fonts.mathFont, /KaTeX_Math/);

    // A section per page, with links to each from the top.
    for (const n of [1, 2, 3, 4]) {
      assert.equal(await page.locator(`section#page-${n}`).count(), 1, `#page-${n}`);
      assert.equal(await page.locator(`nav.toc a[href="#page-${n}"]`).count(), 1);
    }
    assert.equal(await page.locator('#page-1 h1').innerText(), 'Page 701');
    assert.equal(await page.locator('#page-4 h1').innerText(), 'Page 704');
    await page.locator('nav.toc a[href="#page-4"]').click();
    assert.equal(await page.evaluate('location.hash'), '#page-4');

    // The failed page, in its section and in the list at the top, with its error.
    assert.match(await page.locator('#page-2 .page-error').innerText(), new RegExp(`Page 2 could not be recognised.*${escapeRegExp(failedMessage)}`, 's'));
    assert.equal(await page.locator('#page-2 .markdown-body').count(), 0);
    assert.match(await page.locator('.failed-pages').innerText(), new RegExp(`Page 2: ${escapeRegExp(failedMessage)}`));
    assert.equal(await page.locator('nav.toc li.failed a[href="#page-2"]').count(), 1);

    // The hostile page: its script is text, its links inert, the image blocked by the CSP.
    const hostile = page.locator('#page-3 .markdown-body');
    assert.match(await hostile.innerText(), /<script>window\.__pwned = "script"; alert\("script"\)<\/script>/);
    assert.equal(await page.locator('script').count(), 0);
    assert.equal(await page.locator('[onerror], [onclick], [onload], iframe, object, embed').count(), 0);
    const hrefs = await Promise.all((await page.locator('a').all()).map(async (a) => (await a.getAttribute('href')) ?? ''));
    assert.ok(hrefs.every((href) => !/^\s*javascript:/i.test(href)), hrefs.join());
    // The DOMPurify hook the web page uses ran here too.
    const link = hostile.locator('a[href="https://example.com/paper"]');
    assert.deepEqual([await link.getAttribute('target'), await link.getAttribute('rel')], ['_blank', 'noopener noreferrer']);
    assert.equal(await hostile.locator(`img[src="${pixel.url}/pixel.png"]`).count(), 1);
    assert.deepEqual(await page.evaluate('window.__violations'), [{ uri: `${pixel.url}/pixel.png`, directive: 'img-src' }]);
    assert.equal(await page.evaluate('window.__pwned'), undefined);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(requested, []);
    assert.deepEqual(pixel.requests, []);

    await page.evaluate('window.scrollTo(0, 0)');
    await screenshot(page, 'export-html');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'export-html-dark');
    await context.close();
  });

  test('without its CSP the same file would fetch the pixel (so the check above can fail)', async () => {
    const url = await saveExport(html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, ''), `export-${taskId}-no-csp.html`);
    const { context } = await openPage(browser, url);
    await eventually(() => (pixel.requests.length ? true : undefined), 'the pixel to be fetched', 10_000);
    assert.deepEqual(pixel.requests, ['/pixel.png']);
    pixel.requests.length = 0;
    await context.close();
  });
});

describe('a one-page image without math', () => {
  test('stays small: no KaTeX CSS or fonts, no page links; a name with nothing ASCII falls back to the task', async () => {
    const tag = 710;
    stack.stub.script([{ kind: 'ok', content: '# Notes\n\nPlain words, no formulas: 3 < 4 & 5 > 2.' }], tag);
    const { body } = await postFile(`${stack.api}/api/async/image`, await taggedImage(tag), '报告.png');
    const id = String(body.task_id);
    assert.equal((await waitForTask(stack, id)).status, 'completed');
    const res = await fetch(`${stack.api}/api/tasks/${id}/export?format=html`);
    assert.deepEqual(fileNames(res.headers.get('content-disposition') ?? ''), { ascii: `task_${id}_result.html`, utf8: '报告.html' });
    const html = await res.text();
    assert.ok(html.length < 10_000, `${html.length} bytes`);
    assert.doesNotMatch(html, /@font-face|KaTeX|class="katex/);
    assert.doesNotMatch(html, /<nav/);
    assert.match(html, /<section class="page" id="page-1">/);
    assert.match(html, /<p>Plain words, no formulas: 3 &lt; 4 &amp; 5 &gt; 2\.<\/p>/);
  });
});

describe('errors', () => {
  test('an unfinished task is a 400 as for the other formats; an unknown format lists html', async () => {
    const tag = 720;
    stack.stub.script([{ kind: 'ok', delayMs: 3000 }], tag);
    const { body } = await postFile(`${stack.api}/api/async/image`, await taggedImage(tag), 'slow.png');
    const running = await getJson<{ code: string; detail: string }>(`${stack.api}/api/tasks/${String(body.task_id)}/export?format=html`);
    assert.deepEqual([running.status, running.body.code, running.body.detail], [400, 'task_not_finished', '任务未完成，无法导出']);
    const unknown = await getJson<{ code: string; detail: string }>(`${stack.api}/api/tasks/${String(body.task_id)}/export?format=docx`);
    assert.deepEqual([unknown.status, unknown.body.code, unknown.body.detail], [400, 'unsupported_format', '不支持的导出格式，支持: json, txt, md, html, pdf']);
    // The slow task finishes with the stub's answer, and then exports.
    await waitForTask(stack, String(body.task_id));
    const done = await fetch(`${stack.api}/api/tasks/${String(body.task_id)}/export?format=html`);
    assert.equal(done.status, 200);
    assert.ok((await done.text()).includes('Page 720'), stubMarkdown(tag));
  });
});
