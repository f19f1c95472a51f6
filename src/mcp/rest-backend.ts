/**
 * The MCP tools' backend: the REST API through the command line's client (cli/api-client.ts), so an
 * agent's file is checked, limited and refused as any upload is, with the same messages. Bytes sent
 * over HTTP are written to a temp file first and uploaded from there, as the client uploads a path.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createApiClient } from '../cli/api-client.js';
import { collectFiles } from '../cli/files.js';
import type { ServerSettings } from '../cli/settings.js';
import type { McpFile, OcrBackend } from './server.js';

/** `tmpDir`: where bytes sent in a call wait for their upload (deleted after it). */
export function restBackend(settings: ServerSettings, tmpDir: string): OcrBackend {
  const api = createApiClient(settings);
  // Once, before the first call: a wrong password (answered 404 like an unknown route) or a server
  // that is not there is told as such, not as "task not found". Tried again after a failure.
  let access: Promise<void> | undefined;
  const checked = async () => {
    access ??= api.checkAccess().catch((err: unknown) => {
      access = undefined;
      throw err;
    });
    await access;
  };

  async function upload(file: McpFile, options: Parameters<OcrBackend['submit']>[1]) {
    const [local] = await collectFiles([file.path!]);
    const [outcome] = await api.submit([{ ...local!, name: file.name }], options);
    if (outcome!.refused) throw new Error(outcome!.refused.detail);
    return { taskId: outcome!.taskId, totalPages: outcome!.totalPages };
  }

  return {
    async submit(file, options) {
      await checked();
      if (file.path !== undefined) return upload(file, options);
      await mkdir(tmpDir, { recursive: true });
      const temp = path.join(tmpDir, `mcp-${randomUUID()}`);
      try {
        await writeFile(temp, file.content);
        return await upload({ name: file.name, path: temp }, options);
      } finally {
        await rm(temp, { force: true });
      }
    },
    task: (id) => checked().then(() => api.task(id)),
    result: (id) => checked().then(() => api.result(id)),
    list: (query) => checked().then(() => api.list(query)),
    cancel: (id) => checked().then(() => api.cancel(id)),
  };
}
