// The worker-thread entry of bench/ws-clients.ts: on Node 20 worker threads do not inherit tsx's
// loader, so the TypeScript module is loaded through tsx's API (as src/pdf/thread-source.mjs does).
import { tsImport } from 'tsx/esm/api';

await tsImport('./ws-clients.ts', import.meta.url);
