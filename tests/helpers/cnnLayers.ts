import { setWasmLayersEnabled } from '../../src/core/cnn/wasmLayers.ts';

/** `run` with the CNN's WebAssembly layers turned off, so a test can compare both paths. */
export function inTypeScript<T>(run: () => T): T {
  const was = setWasmLayersEnabled(false);
  try {
    return run();
  } finally {
    setWasmLayersEnabled(was);
  }
}
