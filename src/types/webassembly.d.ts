// Node has the WebAssembly global, but TypeScript declares it only in its DOM libraries: these are
// the few parts this project uses (src/pdf shares one compiled mupdf module between threads).
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  interface Instance {
    readonly exports: Record<string, unknown>;
  }
  type Imports = Record<string, Record<string, unknown>>;
  function instantiate(module: Module, imports?: Imports): Promise<Instance>;
}
