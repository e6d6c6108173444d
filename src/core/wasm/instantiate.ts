/**
 * Instantiates a small WebAssembly module compiled from AssemblyScript
 * (assembly/*.ts, built at install time by scripts/build-wasm.ts into a
 * base64 string in a git-ignored generated/ module). Synchronous on purpose:
 * the modules are a few KB, so WebAssembly.Module / WebAssembly.Instance
 * work on every thread (Node, the page, Vite's workers) without an async
 * start-up. The page's CSP must allow 'wasm-unsafe-eval' (vite.config.ts).
 */

const compiled = new Map<string, WebAssembly.Module | null>();

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/**
 * A new instance of the module in `base64`, its exports typed as `T` (the
 * caller states them), or null where it cannot run: no WebAssembly, no SIMD
 * (validation fails), or compiling is forbidden. The compiled module is
 * cached; each call makes a fresh instance with its own memory.
 */
export function instantiateBase64<T>(base64: string, what: string): T | null {
  try {
    let module = compiled.get(base64);
    if (module === undefined) {
      const bytes = decodeBase64(base64);
      module = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
      compiled.set(base64, module);
    }
    if (!module) return null;
    const abort = (): never => {
      throw new Error(`${what}: WebAssembly abort`);
    };
    return new WebAssembly.Instance(module, { env: { abort } }).exports as unknown as T;
  } catch {
    return null;
  }
}
