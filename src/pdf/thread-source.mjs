// The pool's thread module when the service runs from TypeScript source (tsx: tests, `npm run dev`).
// On Node 20 worker threads do not inherit tsx's loader, so thread.ts is loaded through tsx's API.
// Compiled code (dist/) loads thread.js directly and never uses this file.
import { tsImport } from 'tsx/esm/api';

const thread = await tsImport('./thread.ts', import.meta.url);
// Every name thread.ts exports (ESM exports are static: a new one is listed here too).
export const { inspect, inspectImage, render, convertImage, warm, preview, searchablePdf, pageSizes } = thread;
