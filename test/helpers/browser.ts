/**
 * Headless Chromium for the web page tests (playwright-core driving Debian's /usr/bin/chromium;
 * nothing is downloaded). Each test gets a fresh context; every dialog and page error is recorded,
 * so a test can assert that nothing untrusted ever ran.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots for people to look at (git-ignored). */
export const ARTIFACTS = path.join(root, 'artifacts', 'web');

/** Builds dist/web when src/web changed since the last build (the server serves what is built). */
export async function ensureWebBuilt(): Promise<void> {
  await promisify(execFile)(process.execPath, [path.join(root, 'scripts/build-web.mjs'), '--if-changed'], { cwd: root });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export interface TestPage {
  page: Page;
  context: BrowserContext;
  /** Messages of alert/confirm/prompt dialogs that opened (each is dismissed). */
  dialogs: string[];
  /** Uncaught page errors and console errors. */
  errors: string[];
}

export async function openPage(browser: Browser, url: string, opts: BrowserContextOptions = {}): Promise<TestPage> {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1200, height: 900 }, acceptDownloads: true, ...opts });
  const page = await context.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(url);
  return { page, context, dialogs, errors };
}

/** The whole page, or only the viewport (a modal dialog covers the viewport only). */
export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: opts.fullPage ?? true });
}
