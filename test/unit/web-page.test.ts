/** The server side of the web page: its HTML, CSP, static files and the CORS that BACK_URL needs. */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Koa from 'koa';
import { pino } from 'pino';
import { parseConfig } from '../../src/config.js';
import { uploadCors, webAppRoutes, webPublicRoutes } from '../../src/api/web/routes.js';
import { requirePassword } from '../../src/api/http/auth.js';
import type { ApiDeps } from '../../src/api/deps.js';
import { errorMiddleware } from '../../src/api/http/errors.js';
import { createWebAssets } from '../../src/api/web/assets.js';
import { contentSecurityPolicy, pageConfig, renderPage } from '../../src/api/web/page.js';

const entry = { js: 'app-ABCDEFGH.js', css: 'app-ABCDEFGH.css' };

test('the HTML escapes TITLE and FAVICON_URL, carries the config as data and never the password', () => {
  const config = parseConfig({ PASSWORD: 'secret-pw', TITLE: '</title><script>alert(1)</script>', FAVICON_URL: '"><script>alert(2)</script>' });
  const html = renderPage(config, entry, pageConfig(config, true));
  assert.ok(!html.includes('<script>alert'), html);
  assert.ok(!html.includes('secret-pw'));
  assert.match(html, /<title>&lt;\/title&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/title>/);
  const meta = /<meta name="ocr-config" content="([^"]*)">/.exec(html)![1]!;
  const data = JSON.parse(meta.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')) as Record<string, unknown>;
  assert.deepEqual(data, { title: config.http.title, prefixed: true, backUrl: '', maxImageMb: 50, maxPdfMb: 200, maxPdfPages: 500 });
  assert.equal((html.match(/<script/g) ?? []).length, 1, 'one script: the bundle');
});

test('the CSP allows scripts from the page origin only, and connections to BACK_URL when set', () => {
  const plain = contentSecurityPolicy(parseConfig({}));
  assert.match(plain, /script-src 'self';/);
  assert.match(plain, /connect-src 'self';/);
  assert.doesNotMatch(plain, /unsafe-eval|script-src[^;]*unsafe-inline/);
  const custom = contentSecurityPolicy(parseConfig({ BACK_URL: 'https://upload.example.com/', FAVICON_URL: 'https://cdn.example.com/icon.png' }));
  assert.match(custom, /connect-src 'self' https:\/\/upload\.example\.com;/);
  assert.match(custom, /img-src 'self' data: blob: https:\/\/cdn\.example\.com;/);
});

async function serve(app: Koa): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('with BACK_URL the upload routes answer other origins (preflight included); nothing else does', async () => {
  const app = new Koa();
  app.use(uploadCors(parseConfig({ BACK_URL: 'https://upload.example.com' })));
  app.use((ctx) => { ctx.body = { ok: true }; });
  const { url, close } = await serve(app);
  try {
    const origin = { origin: 'https://page.example.com' };
    const preflight = await fetch(`${url}/pwd/api/async/pdf`, { method: 'OPTIONS', headers: { ...origin, 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'POST');
    const upload = await fetch(`${url}/pwd/api/async/image`, { method: 'POST', headers: origin });
    assert.equal(upload.headers.get('access-control-allow-origin'), '*');
    const other = await fetch(`${url}/pwd/api/tasks`, { headers: origin });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  } finally {
    await close();
  }

  const without = new Koa();
  without.use(uploadCors(parseConfig({})));
  without.use((ctx) => { ctx.body = { ok: true }; });
  const plain = await serve(without);
  try {
    const res = await fetch(`${plain.url}/pwd/api/async/image`, { method: 'POST', headers: { origin: 'https://page.example.com' } });
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  } finally {
    await plain.close();
  }
});

test('static files: only the names the build wrote, and no page before a build', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ocr-web-'));
  const assets = createWebAssets(dir);
  assert.equal(await assets.manifest(), undefined);
  await writeFile(path.join(dir, 'app-ABCDEFGH.js'), 'console.log(1)');
  await writeFile(path.join(dir, 'secret.txt'), 'not served');
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ app: entry, login: entry, files: ['app-ABCDEFGH.js'] }));
  assert.deepEqual((await assets.manifest())?.app, entry);
  assert.equal(await assets.file('app-ABCDEFGH.js'), path.join(dir, 'app-ABCDEFGH.js'));
  for (const name of ['secret.txt', 'manifest.json', '../package.json', '']) assert.equal(await assets.file(name), undefined, name);
});

/** The page routes as app.ts mounts them, around a fake build. */
async function pageApp(password: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ocr-web-'));
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ app: entry, login: { js: 'login-ABCDEFGH.js', css: 'login-ABCDEFGH.css' }, files: [] }));
  const assets = createWebAssets(dir);
  const deps = { config: parseConfig({ PASSWORD: password }), log: pino({ level: 'silent' }) } as unknown as ApiDeps;
  const app = new Koa();
  app.use(errorMiddleware(deps.log));
  app.use(webPublicRoutes(deps, assets).routes());
  app.use(requirePassword(password));
  app.use(webAppRoutes(deps, assets).routes());
  return serve(app);
}

const pageOf = async (url: string) => {
  const res = await fetch(url);
  const html = await res.text();
  return { status: res.status, script: /src="\/static\/([a-z]+)-/.exec(html)?.[1], prefixed: html.includes('&quot;prefixed&quot;:true') };
};

test('with a password: the form at /, the app at /{PASSWORD} and /{PASSWORD}/, a wrong one is a 404', async () => {
  const { url, close } = await pageApp('pw');
  try {
    assert.deepEqual(await pageOf(`${url}/`), { status: 200, script: 'login', prefixed: false });
    assert.deepEqual(await pageOf(`${url}/pw`), { status: 200, script: 'app', prefixed: true });
    assert.deepEqual(await pageOf(`${url}/pw/`), { status: 200, script: 'app', prefixed: true });
    assert.equal((await pageOf(`${url}/wrong`)).status, 404);
    assert.equal((await pageOf(`${url}/main`)).status, 404);
  } finally {
    await close();
  }
});

test('without a password: the app at / and at the old service\'s /main, with no prefix', async () => {
  const { url, close } = await pageApp('');
  try {
    assert.deepEqual(await pageOf(`${url}/`), { status: 200, script: 'app', prefixed: false });
    assert.deepEqual(await pageOf(`${url}/main`), { status: 200, script: 'app', prefixed: false });
  } finally {
    await close();
  }
});
