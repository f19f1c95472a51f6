/**
 * /openapi.json and /docs: a valid OpenAPI 3 document of exactly the routes the Koa routers serve,
 * answers that match it, an offline Swagger UI page, and the password in none of them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import type Router from '@koa/router';
import { pino } from 'pino';
import type { z } from 'zod';
import { createApp } from '../../src/api/app.js';
import { isAzurePath } from '../../src/auth.js';
import { toOpenApiPath } from '../../src/api/openapi/document.js';
import { PAGE_ROUTES } from '../../src/api/openapi/operations.js';
import * as r from '../../src/api/openapi/responses.js';
import { taggedImage } from '../helpers/images.js';
import { makePdf } from '../helpers/pdfs.js';
import { fileForm, getJson, startStack, waitForTask, type Stack } from '../helpers/stack.js';
import { createMetrics } from '../../src/metrics/registry.js';

/** Distinctive, so that finding it anywhere cannot be a coincidence. */
const PASSWORD = 'pw-0penapi-7f3a9c';
const unknownId = '00000000-0000-4000-8000-000000000000';

interface Operation { operationId: string; security?: Array<Record<string, string[]>>; parameters?: Array<{ name: string; in: string; schema: Record<string, unknown> }>; requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }; responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> }
interface Document { openapi: string; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, { type: string; scheme: string }> } }

let stack: Stack;
let document: Document;
let documentText: string;
before(async () => {
  stack = await startStack({ env: { PASSWORD } });
  const res = await fetch(`${stack.origin}/openapi.json`);
  assert.equal(res.status, 200, 'public: no password needed');
  documentText = await res.text();
  document = JSON.parse(documentText) as Document;
});
after(() => stack?.stop());

/** Every method and path the app's routers register, read from a freshly built app (not a hand list). */
function routerRoutes(): Array<{ method: string; path: string }> {
  const app = createApp({ config: stack.config, pool: stack.pool, temporal: {} as never, tasks: {} as never, temporalConnection: {} as never, pdf: {} as never, previews: {} as never, pdfExports: {} as never, selfUrl: {} as never, metrics: createMetrics(), websocketStats: {} as never, log: pino({ level: 'silent' }) });
  const layers = app.middleware.flatMap((m) => (m as { router?: Router }).router?.stack ?? []);
  return layers.flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((m) => ({ method: m.toLowerCase(), path: String(layer.path) })));
}

const operations = () => Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ method, path, op })));
const concrete = (path: string) => path.replace('{id}', unknownId).replace('{n}', '1').replace(/\{\w+\}/g, 'x');

describe('the document', () => {
  test('is a valid OpenAPI 3 document', async () => {
    assert.match(document.openapi, /^3\./);
    await SwaggerParser.validate(structuredClone(document) as never);
    const bearer = document.components.securitySchemes.bearer;
    assert.deepEqual([bearer?.type, bearer?.scheme], ['http', 'bearer']);
  });

  test('documents every route the routers serve, with its auth, and nothing else', () => {
    const routes = routerRoutes().filter((route) => !PAGE_ROUTES.has(`${route.method.toUpperCase()} ${route.path}`));
    assert.ok(routes.length >= 20, `${routes.length} routes`);
    const documented = new Map(operations().map((o) => [`${o.method} ${o.path}`, o.op]));
    const expected = new Set<string>();
    for (const route of routes) {
      const path = toOpenApiPath(route.path);
      const prefixed = `${route.method} /{password}${path}`;
      const plain = `${route.method} ${path}`;
      if (documented.has(prefixed)) {
        expected.add(prefixed);
        assert.ok(documented.get(prefixed)!.parameters?.some((p) => p.name === 'password' && p.in === 'path'), `${prefixed}: password parameter`);
        if (path.startsWith('/api/')) {
          expected.add(plain);
          assert.deepEqual(documented.get(plain)?.security, [{ bearer: [] }], `${plain}: the Bearer variant`);
        }
        if (isAzurePath(path)) {
          expected.add(plain);
          assert.deepEqual(documented.get(plain)?.security, [{ subscriptionKey: [] }], `${plain}: the variant with Ocp-Apim-Subscription-Key`);
        }
      } else {
        assert.ok(documented.has(plain), `${route.method.toUpperCase()} ${route.path} is not documented`);
        expected.add(plain);
      }
      assert.ok(!route.path.includes(PASSWORD), 'the route tables never hold the password');
    }
    assert.deepEqual([...documented.keys()].filter((k) => !expected.has(k)), [], 'documented operations that no router serves');
  });

  test('routes documented as public answer without the password; the others do not', async () => {
    for (const { method, path } of operations()) {
      const res = await fetch(`${stack.origin}${concrete(path.replace('/{password}', ''))}`, { method: method.toUpperCase() });
      const body = await res.text();
      const plain = path.replace('/{password}', '');
      const isPublic = !path.startsWith('/{password}') && !path.startsWith('/api/') && !isAzurePath(path);
      if (isPublic && !path.includes('{')) assert.equal(res.status, 200, `${method} ${path}`);
      // Azure clients get Azure's 401 for a missing key, in Azure's shape.
      if (isAzurePath(plain)) assert.deepEqual([res.status, (JSON.parse(body) as { error: { code: string } }).error.code], [401, '401'], `${method} ${path}`);
      else if (!isPublic) assert.deepEqual([res.status, (JSON.parse(body) as { code: string }).code], [404, 'not_found'], `${method} ${path}`);
    }
  });

  test('request schemas are the ones the routes validate with: the same limits, the same 400s', async () => {
    const op = (path: string, method = 'get') => document.paths[path]![method]!;
    const limit = op('/{password}/api/tasks').parameters!.find((p) => p.name === 'limit')!.schema;
    assert.deepEqual([limit.type, limit.minimum, limit.maximum, limit.default], ['integer', 1, 1000, 100]);
    const format = op('/{password}/api/tasks/{id}/export').parameters!.find((p) => p.name === 'format')!.schema;
    assert.deepEqual(format.enum, ['json', 'txt', 'md', 'html', 'pdf']);
    const ids = op('/{password}/api/tasks/batch/status', 'post').requestBody!.content['application/json']!.schema as { properties: { task_ids: { maxItems: number } } };
    assert.equal(ids.properties.task_ids.maxItems, 50);
    const n = op('/{password}/api/tasks/{id}/pages/{n}').parameters!.find((p) => p.name === 'n')!.schema;
    assert.deepEqual([n.type, n.minimum], ['integer', 1]);

    const list = await getJson<{ code: string; detail: string }>(`${stack.api}/api/tasks?limit=1001`);
    assert.deepEqual([list.status, list.body.code, list.body.detail], [400, 'invalid_query', 'limit must be at most 1000']);
    const exported = await getJson<{ code: string; detail: string }>(`${stack.api}/api/tasks/${unknownId}/export?format=docx`);
    assert.deepEqual([exported.status, exported.body.code, exported.body.detail], [400, 'unsupported_format', '不支持的导出格式，支持: json, txt, md, html, pdf']);
    const batch = await fetch(`${stack.api}/api/tasks/batch/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task_ids: Array.from({ length: 51 }, () => unknownId) }) });
    assert.deepEqual([batch.status, ((await batch.json()) as { code: string }).code], [400, 'too_many_task_ids']);
  });
});

describe('real answers match the documented shapes', () => {
  /** Parsing keeps only documented fields: an undocumented or missing field makes the two differ. */
  function assertShape(schema: z.ZodType, body: unknown, what: string) {
    const parsed = schema.safeParse(body);
    assert.ok(parsed.success, `${what}: ${parsed.error?.message}`);
    assert.deepEqual(parsed.data, body, `${what}: a field the document does not have`);
  }
  const post = async (path: string, form: FormData) => (await fetch(`${stack.api}${path}`, { method: 'POST', body: form })).json();

  test('submit, query, export and delete', async () => {
    const image = await post('/api/async/image', fileForm(await taggedImage(1), 'a.png'));
    assertShape(r.AsyncSubmitted.image, image, 'POST /api/async/image');
    const pdf = await post('/api/async/pdf', fileForm(makePdf([2, 3]), 'b.pdf'));
    assertShape(r.AsyncSubmitted.pdf, pdf, 'POST /api/async/pdf');
    assertShape(r.ProcessSubmitted.image, await post('/process/image', fileForm(await taggedImage(4), 'c.png')), 'POST /process/image');
    assertShape(r.ProcessSubmitted.pdf, await post('/process/pdf', fileForm(makePdf([5]), 'd.pdf')), 'POST /process/pdf');
    assertShape(r.LegacySubmitted, await post('/api/tasks/image', fileForm(await taggedImage(6), 'e.png')), 'POST /api/tasks/image');
    const batch = fileForm(await taggedImage(7), 'f.png', 'files');
    batch.append('files', new Blob([new Uint8Array(makePdf([8]))]), 'g.pdf');
    batch.append('files', new Blob(['text']), 'h.txt');
    assertShape(r.BatchSubmitted, await post('/api/async/batch', batch), 'POST /api/async/batch');

    const pdfId = String((pdf as { task_id: string }).task_id);
    await waitForTask(stack, pdfId);
    const get = async (path: string) => (await getJson(`${stack.api}${path}`)).body;
    assertShape(r.TaskList, await get('/api/tasks'), 'GET /api/tasks');
    assertShape(r.TaskDetails, await get(`/api/tasks/${pdfId}`), 'GET /api/tasks/{id}');
    assertShape(r.TaskResultAnswer, await get(`/api/tasks/${pdfId}/result`), 'GET /api/tasks/{id}/result');
    assertShape(r.TaskPages, await get(`/api/tasks/${pdfId}/pages`), 'GET /api/tasks/{id}/pages');
    assertShape(r.TaskPage, await get(`/api/tasks/${pdfId}/pages/2`), 'GET /api/tasks/{id}/pages/{n}');
    assertShape(r.TaskProgress, await get(`/api/tasks/${pdfId}/progress`), 'GET /api/tasks/{id}/progress');
    assertShape(r.TaskBatches, await get(`/api/tasks/${pdfId}/batches`), 'GET /api/tasks/{id}/batches');
    assertShape(r.ExportJson, await get(`/api/tasks/${pdfId}/export?format=json`), 'GET /api/tasks/{id}/export');
    const status = await fetch(`${stack.api}/api/tasks/batch/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task_ids: [pdfId, unknownId] }) });
    assertShape(r.BatchStatus, await status.json(), 'POST /api/tasks/batch/status');
    assertShape(r.ErrorBody, await get(`/api/tasks/${unknownId}`), 'an error');
    assertShape(r.Healthy, (await getJson(`${stack.origin}/health`)).body, 'GET /health');
    assertShape(r.Deleted, await (await fetch(`${stack.api}/api/tasks/${pdfId}`, { method: 'DELETE' })).json(), 'DELETE /api/tasks/{id}');
  });
});

describe('/docs', () => {
  test('an offline page and its assets, public, cached, pointing at /openapi.json, without the password', async () => {
    const res = await fetch(`${stack.origin}/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self';/);
    const page = await res.text();
    assert.doesNotMatch(page, /<script>|<script[^>]*>[^<]/, 'no inline script');
    const urls = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(urls.length >= 3, 'a stylesheet and scripts');
    const assets = new Map<string, string>();
    for (const url of urls) {
      assert.match(url, /^\/docs\/assets\//, `${url}: served here, no CDN`);
      const asset = await fetch(`${stack.origin}${url}`);
      assert.equal(asset.status, 200, url);
      assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable', url);
      assets.set(url, await asset.text());
    }
    const init = [...assets].find(([url]) => url.endsWith('/docs-init.js'))?.[1] ?? '';
    assert.match(init, /url: '\/openapi\.json'/, 'the page loads /openapi.json');
    assert.match(init, /validatorUrl: null/, 'no request to the online validator');
    assert.doesNotMatch(init + page, /https?:\/\//, 'nothing from another origin');
    for (const text of [documentText, page, ...assets.values()]) assert.ok(!text.includes(PASSWORD), 'the password is in no document, page or asset');

    const version = /\/docs\/assets\/([^/]+)\//.exec(urls[0]!)![1]!;
    for (const bad of [`/docs/assets/${version}/package.json`, `/docs/assets/${version}/..%2Fpackage.json`, '/docs/assets/0.0.0/swagger-ui.css']) {
      assert.equal((await fetch(`${stack.origin}${bad}`)).status, 404, bad);
    }
  });
});
