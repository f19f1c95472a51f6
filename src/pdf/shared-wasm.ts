/**
 * Imported first by the pool's thread module: when the pool handed the thread a compiled mupdf
 * WebAssembly.Module, mupdf instantiates that one instead of compiling its own. Compiled code is
 * shared between threads, which saves tens of MB per thread (measured in bench/pdf.ts).
 * mupdf.js hands `globalThis.$libmupdf_wasm_Module` to its Emscripten loader as the Module options.
 */
import { workerData } from 'node:worker_threads';

const shared = (workerData as { mupdfWasm?: WebAssembly.Module } | undefined)?.mupdfWasm;
if (shared) {
  (globalThis as Record<string, unknown>).$libmupdf_wasm_Module = {
    instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
      void WebAssembly.instantiate(shared, imports).then((instance) => done(instance, shared));
      return {};
    },
  };
}
