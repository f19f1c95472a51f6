/**
 * GET /openapi.json and GET /docs (no password, as in the old service): the OpenAPI document and Swagger UI,
 * served from the swagger-ui-dist package, never from a CDN. The assets' URLs carry a version, so
 * they are cached for a year; the page and the document are revalidated every time.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import Router from '@koa/router';
import type { ApiDeps } from '../deps.js';
import { httpError } from '../http/errors.js';
import { createOpenApiDocument } from './document.js';
import { docsAssetParams } from '../http/schemas.js';

const require = createRequire(import.meta.url);
const swaggerDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const swaggerVersion = (require('swagger-ui-dist/package.json') as { version: string }).version;
// Two levels up from src/api/routes and from dist/api/routes alike.
const appVersion = (require('../../../package.json') as { version: string }).version;

/**
 * A file of ours rather than an inline script, so the page works under a CSP without 'unsafe-inline'.
 * validatorUrl: null stops Swagger UI from sending the document to validator.swagger.io.
 */
const INIT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', validatorUrl: null, deepLinking: true });
});
`;

type Asset = { type: string; file: string } | { type: string; text: string };
const ASSETS = {
  'swagger-ui-bundle.js': { type: 'text/javascript; charset=utf-8', file: 'swagger-ui-bundle.js' },
  'swagger-ui.css': { type: 'text/css; charset=utf-8', file: 'swagger-ui.css' },
  'favicon-32x32.png': { type: 'image/png', file: 'favicon-32x32.png' },
  'docs-init.js': { type: 'text/javascript; charset=utf-8', text: INIT_SCRIPT },
} satisfies Record<string, Asset>;
const ASSET_VERSION = `${swaggerVersion}-${createHash('sha256').update(INIT_SCRIPT).digest('hex').slice(0, 8)}`;
const asset = (name: keyof typeof ASSETS) => `/docs/assets/${ASSET_VERSION}/${name}`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API docs</title>
<link rel="icon" type="image/png" href="${asset('favicon-32x32.png')}">
<link rel="stylesheet" href="${asset('swagger-ui.css')}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${asset('swagger-ui-bundle.js')}"></script>
<script src="${asset('docs-init.js')}"></script>
</body>
</html>
`;

/** Swagger UI sets inline styles and uses data: images; everything else comes from this origin. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function docsRoutes(deps: ApiDeps): Router {
  const router = new Router();
  // Built on first use (about 0.1 s), then kept: it depends only on the configuration (limits and
  // title), never on the password.
  let document: string | undefined;

  router.get('/openapi.json', (ctx) => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = document ??= JSON.stringify(createOpenApiDocument(deps.config, appVersion));
  });

  router.get('/docs', (ctx) => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('Content-Security-Policy', CSP);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = PAGE;
  });

  router.get('/docs/assets/:version/:file', async (ctx) => {
    const params = docsAssetParams.safeParse(ctx.params);
    const name = params.success && params.data.version === ASSET_VERSION ? params.data.file : '';
    const found: Asset | undefined = Object.hasOwn(ASSETS, name) ? ASSETS[name as keyof typeof ASSETS] : undefined;
    if (!found) throw httpError(404, 'not_found', 'Not Found');
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.type = found.type;
    if ('text' in found) {
      ctx.body = found.text;
      return;
    }
    const file = path.join(swaggerDir, found.file);
    ctx.length = (await stat(file)).size;
    ctx.body = createReadStream(file);
  });

  return router;
}
