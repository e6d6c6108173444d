/**
 * The convolution layer in WebAssembly SIMD (assembly/cnnKernels.ts): the
 * same bits as the TypeScript product in convolution.ts, several times
 * faster (two output maps per instruction, no im2col matrix). `convolve`
 * uses it whenever it loads; tests/core/cnn/wasmConvolution.test.ts compares
 * the two bit for bit.
 *
 * Memory: after the module's static data, an arena of layer weights
 * (arranged for the kernel once per ConvolutionWeights object, then
 * resident), then the per-call scratch (the input in double, the offsets
 * table, the output). The arena doubles when full, up to ARENA_LIMIT; past
 * that it is emptied and refilled by the layers in use (weights of models
 * no longer used are never freed otherwise).
 */
import { CNN_KERNELS_WASM } from '../wasm/generated/cnnKernelsWasm.ts';
import { LinearMemory, align16, instantiateBase64 } from '../wasm/index.ts';
import type { ConvolutionWeights } from './convolution.ts';
import type { Tensor3 } from './tensor.ts';

interface CnnKernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  arrangedWeightsBytes(outputMaps: number, len: number): number;
  arrangeWeights(src: number, outputMaps: number, len: number, dst: number): void;
  convolve(
    input: number, width: number, height: number, inputMaps: number, kh: number, kw: number,
    weights: number, biases: number, outputMaps: number, offsets: number, out: number,
  ): void;
}

/** A layer's arranged weights and biases in the arena. */
interface ResidentLayer {
  readonly weights: number;
  readonly biases: number;
}

const ARENA_START_BYTES = 1 << 20;
const ARENA_LIMIT_BYTES = 16 << 20;

export class WasmConvolution {
  private readonly memory: LinearMemory;
  private readonly arenaStart: number;
  private arenaBytes = ARENA_START_BYTES;
  private arenaTop: number;
  private resident = new WeakMap<ConvolutionWeights, ResidentLayer>();

  private constructor(private readonly x: CnnKernelExports) {
    this.memory = new LinearMemory(x.memory);
    this.arenaStart = align16(x.heapBase());
    this.arenaTop = this.arenaStart;
  }

  /** The kernels, or null where WebAssembly SIMD is unavailable (convolution.ts then runs its TypeScript). */
  static create(): WasmConvolution | null {
    const exports = instantiateBase64<CnnKernelExports>(CNN_KERNELS_WASM, 'cnn kernels');
    return exports ? new WasmConvolution(exports) : null;
  }

  /** Where the per-call scratch starts (right after the arena). */
  private get scratch(): number {
    return this.arenaStart + this.arenaBytes;
  }

  /** Convolution as convolution.ts defines it; the caller has checked the shapes. */
  convolve(input: Tensor3, layer: ConvolutionWeights): Tensor3 {
    const { inputMaps, outputMaps, kernelHeight, kernelWidth } = layer;
    const { width, height } = input;
    const oh = height - kernelHeight + 1, ow = width - kernelWidth + 1;
    const outCount = outputMaps * oh * ow;
    const { weights, biases } = this.residentLayer(layer);
    const inAt = this.scratch;
    const offsetsAt = align16(inAt + input.data.length * 8);
    const outAt = align16(offsetsAt + inputMaps * kernelHeight * kernelWidth * 4);
    this.memory.ensure(outAt + outCount * 4);
    this.memory.f64.set(input.data, inAt >> 3);
    this.x.convolve(inAt, width, height, inputMaps, kernelHeight, kernelWidth, weights, biases, outputMaps, offsetsAt, outAt);
    const data = this.memory.f32.slice(outAt >> 2, (outAt >> 2) + outCount);
    return { channels: outputMaps, height: oh, width: ow, data };
  }

  /** The layer's weights in the arena, arranged on first use. */
  private residentLayer(layer: ConvolutionWeights): ResidentLayer {
    const known = this.resident.get(layer);
    if (known) return known;
    const { outputMaps, weights } = layer;
    const len = weights.length / outputMaps;
    const paddedMaps = outputMaps + (outputMaps & 1);
    const weightBytes = this.x.arrangedWeightsBytes(outputMaps, len);
    const bytes = align16(weightBytes) + align16(paddedMaps * 8);
    this.makeRoom(bytes);
    const at = this.arenaTop;
    this.arenaTop += bytes;
    const stored: ResidentLayer = { weights: at, biases: at + align16(weightBytes) };
    // the float weights go through the scratch, where the kernel arranges them
    this.memory.ensure(this.scratch + weights.length * 4);
    this.memory.f32.set(weights, this.scratch >> 2);
    this.x.arrangeWeights(this.scratch, outputMaps, len, stored.weights);
    const f64 = this.memory.f64;
    f64.set(layer.biases, stored.biases >> 3);
    if (paddedMaps > outputMaps) f64[(stored.biases >> 3) + outputMaps] = 0;
    this.resident.set(layer, stored);
    return stored;
  }

  /** Space for `bytes` more in the arena: doubled while under the limit, else emptied. */
  private makeRoom(bytes: number): void {
    while (this.arenaTop + bytes > this.arenaStart + this.arenaBytes) {
      if (this.arenaBytes < ARENA_LIMIT_BYTES || bytes > this.arenaBytes) {
        this.arenaBytes *= 2;
      } else {
        this.resident = new WeakMap();
        this.arenaTop = this.arenaStart;
      }
    }
    this.memory.ensure(this.scratch);
  }
}
