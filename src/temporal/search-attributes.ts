/**
 * Registers the tasks' search attributes (OcrStatus…) on a Temporal server that lacks them. The dev
 * server gets them on its command line and compose registers them; this covers any other server
 * (TEMPORAL_ADDRESS) so that operators can filter tasks in its Web UI.
 */
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
// The SDK's own mapping from its type names to the proto enum (the client imports lib/ the same way).
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import type { Logger } from 'pino';
import { OCR_SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';

/** `--search-attribute Name=Type` for `temporal server start-dev`. */
export function devServerSearchAttributeArgs(): string[] {
  return OCR_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${TypedSearchAttributes.toMetadataType(key.type)}`]);
}

async function missingAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return OCR_SEARCH_ATTRIBUTES.map((key) => key.name).filter((name) => !customAttributes?.[name]);
}

/**
 * True when every attribute is registered in the namespace (added here if missing). Never throws: a
 * server that refuses (no operator permission, a cloud namespace) only costs the Web UI filters, so
 * it is logged with the command that fixes it, and tasks start without the attributes.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string, log: Logger): Promise<boolean> {
  try {
    // Bounded: a server that does not answer must not hold up the API's start.
    return await connection.withDeadline(Date.now() + 15_000, async () => {
      const missing = await missingAttributes(connection, namespace);
      if (missing.length === 0) return true;
      try {
        // Namespace-scoped on SQL visibility (dev server, Postgres); Elasticsearch ignores the namespace.
        await connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(OCR_SEARCH_ATTRIBUTES.filter((key) => missing.includes(key.name))
            .map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!])),
        });
      } catch (err) {
        // Another API process registered them at the same moment.
        if (!(isGrpcServiceError(err) && (await missingAttributes(connection, namespace)).length === 0)) throw err;
      }
      log.info({ namespace, added: missing }, 'registered the Temporal search attributes');
      return true;
    });
  } catch (err) {
    const commands = OCR_SEARCH_ATTRIBUTES.map((key) => `temporal operator search-attribute create --namespace ${namespace} --name ${key.name} --type ${TypedSearchAttributes.toMetadataType(key.type)}`);
    log.error({ err, namespace, fix: commands }, 'could not register the Temporal search attributes OcrStatus, OcrTaskType, OcrFileName, OcrPageCount and OcrModel: tasks run, but cannot be filtered in the Temporal Web UI until they are registered (see `fix`)');
    return false;
  }
}
