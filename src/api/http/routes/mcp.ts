/**
 * /mcp (under the password prefix, or with `Authorization: Bearer <PASSWORD>`): the MCP server of
 * mcp/server.ts over Streamable HTTP, for agents that reach the service over the network. Stateless,
 * as the SDK's stateless mode: each request gets a server and a transport of its own, so any API
 * replica answers any call. The tools call this API's own REST routes over loopback (mcp/rest-backend.ts),
 * so their limits and refusals are the routes'. A file comes base64 in the call: its JSON body is
 * bounded (MCP_BODY_MB); larger files go through the REST routes or `ocr mcp` (a local path).
 */
import path from 'node:path';
import Router from '@koa/router';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthState } from '../auth.js';
import type { ApiDeps } from '../../deps.js';
import { jsonBody } from '../json-body.js';
import { createOcrMcpServer } from '../../../mcp/server.js';
import { restBackend } from '../../../mcp/rest-backend.js';

/** The largest JSON body of an MCP call: a file of about 24 MB as base64. */
export const MCP_BODY_MB = 32;

export function mcpRoutes(deps: ApiDeps): Router<AuthState> {
  const router = new Router<AuthState>();
  const tmpDir = path.join(deps.config.dataDir, 'tmp');

  // POST only: a stateless server keeps no stream open for GET and has no session to DELETE.
  router.post('/mcp', jsonBody(MCP_BODY_MB * 1024), async (ctx) => {
    const backend = restBackend({ server: deps.selfUrl(), password: deps.config.http.password }, tmpDir);
    const server = createOcrMcpServer(backend, { files: 'base64' });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    // The transport answers on the raw response, streaming progress notifications as they come.
    ctx.respond = false;
    ctx.res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(ctx.req, ctx.res, (ctx.request as { body?: unknown }).body);
  });

  return router;
}
