// Part of `npm run build`: bundles the compiled workflows once, so workers load a prebuilt bundle
// instead of running webpack at every start (slower, and a memory peak of its own).
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const workflowsPath = fileURLToPath(new URL('../dist/workflows/index.js', import.meta.url));
const { code } = await bundleWorkflowCode({ workflowsPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error } });
await writeFile(new URL('../dist/workflow-bundle.js', import.meta.url), code);
