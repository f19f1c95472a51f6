/**
 * The web page. Public: `/` (the password form; the app itself when PASSWORD is empty, also at the
 * old service's `/main`), the hashed bundles under `/static/` and, when BACK_URL sends uploads to another
 * origin, CORS on the upload routes. Behind the password: `/{PASSWORD}` (and `/{PASSWORD}/`), the app.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Config } from '../../config.js';
import type { AuthState } from '../http/auth.js';
import type { ApiDeps } from '../deps.js';
import { httpError } from '../http/errors.js';
import { createWebAssets, HASHED_NAME, STATIC_TYPES, type WebAssets } from './assets.js';
import { contentSecurityPolicy, pageConfig, renderPage } from './page.js';

/** Only the upload routes are called from another origin (BACK_URL); nothing else is opened up. */
const UPLOAD_PATH = /^(\/[^/]+)?\/(api\/async\/(image|pdf|batch)|process\/(image|pdf))$/;

/**
 * With BACK_URL the page (on one origin) posts uploads to another. The password in the path is the
 * credential, so any origin may send and read them, as with curl; no cookie is involved.
 */
export function uploadCors(config: Config): Middleware {
  return async (ctx, next) => {
    if (config.http.backUrl === '' || !UPLOAD_PATH.test(ctx.path) || !ctx.get('origin')) {
      await next();
      return;
    }
    ctx.set('Access-Control-Allow-Origin', '*');
    if (ctx.method === 'OPTIONS') {
      ctx.set('Access-Control-Allow-Methods', 'POST');
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    await next();
  };
}

function sendPage(ctx: Context, deps: ApiDeps, html: string) {
  ctx.set('Cache-Control', 'no-cache');
  ctx.set('Content-Security-Policy', contentSecurityPolicy(deps.config));
  ctx.set('X-Content-Type-Options', 'nosniff');
  // The password is in the page's URL: it must not travel in a Referer header to any link target.
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = html;
}

async function manifestOrFail(assets: WebAssets) {
  const manifest = await assets.manifest();
  if (!manifest) throw httpError(503, 'web_not_built', 'The web page is not built: run `npm run build:web`.');
  return manifest;
}

function pageHandlers(deps: ApiDeps, assets: WebAssets) {
  return {
    app: (prefixed: boolean) => async (ctx: Context) => {
      const manifest = await manifestOrFail(assets);
      sendPage(ctx, deps, renderPage(deps.config, manifest.app, pageConfig(deps.config, prefixed)));
    },
    login: async (ctx: Context) => {
      const manifest = await manifestOrFail(assets);
      sendPage(ctx, deps, renderPage(deps.config, manifest.login, { title: deps.config.http.title }));
    },
  };
}

/** Mounted before the password middleware (with uploadCors). */
export function webPublicRoutes(deps: ApiDeps, assets: WebAssets = createWebAssets()): Router {
  const router = new Router();
  const pages = pageHandlers(deps, assets);
  if (deps.config.http.password === '') {
    router.get('/', pages.app(false));
    router.get('/main', pages.app(false));
  } else {
    router.get('/', pages.login);
  }

  router.get('/static/:file', async (ctx) => {
    const file = await assets.file(ctx.params.file ?? '');
    if (!file) throw httpError(404, 'not_found', 'Not Found');
    const name = path.basename(file);
    ctx.set('Cache-Control', HASHED_NAME.test(name) ? 'public, max-age=31536000, immutable' : 'public, max-age=86400');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.type = STATIC_TYPES[path.extname(name)] ?? 'application/octet-stream';
    ctx.length = (await stat(file)).size;
    ctx.body = createReadStream(file);
  });

  return router;
}

/** Mounted after the password middleware, which strips /{PASSWORD}: the app is at `/` then. */
export function webAppRoutes(deps: ApiDeps, assets: WebAssets = createWebAssets()): Router<AuthState> {
  const router = new Router<AuthState>();
  router.get('/', pageHandlers(deps, assets).app(true));
  return router;
}
