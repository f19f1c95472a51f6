/**
 * Imported first by the pool's thread module; sets the options mupdf.js hands to its Emscripten
 * loader (`globalThis.$libmupdf_wasm_Module`):
 * - when the pool handed the thread a compiled mupdf WebAssembly.Module, mupdf instantiates that one
 *   instead of compiling its own: compiled code is shared between threads (about 15 MB less per
 *   thread, measured in bench/pdf.ts);
 * - mupdf's warnings about damaged files ("syntax error: expected object number"…) would go to
 *   stderr as raw text among our JSON logs; uploads are untrusted, so they are dropped. Failures that
 *   matter still surface as exceptions with a message.
 */
import { workerData } from 'node:worker_threads';

const shared = (workerData as { mupdfWasm?: WebAssembly.Module } | undefined)?.mupdfWasm;
const quiet = () => {};
(globalThis as Record<string, unknown>).$libmupdf_wasm_Module = {
  print: quiet,
  printErr: quiet,
  ...(shared && {
    instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
      void WebAssembly.instantiate(shared, imports).then((instance) => done(instance, shared));
      return {};
    },
  }),
};
