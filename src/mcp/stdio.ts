/**
 * `ocr mcp`: the MCP server over stdio, for desktop clients that launch a command (Claude Desktop,
 * Cursor). It runs on the agent's machine, reads the files the agent names there, and talks to the
 * running service given by --server / OCR_SERVER. Standard output carries MCP messages only.
 */
import os from 'node:os';
import path from 'node:path';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { EXIT, type ExitCode } from '../cli/exit-codes.js';
import { resolveServer, type ServerFlags } from '../cli/settings.js';
import { restBackend } from './rest-backend.js';
import { createOcrMcpServer } from './server.js';

/** Serves until the client closes its end (stdin). */
export async function mcpCommand(flags: ServerFlags): Promise<ExitCode> {
  const server = createOcrMcpServer(restBackend(resolveServer(flags), path.join(os.tmpdir(), 'ocr-mcp')), { files: 'path' });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  await closed;
  await server.close();
  return EXIT.ok;
}
