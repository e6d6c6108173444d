/**
 * The CNN's hot layers in WebAssembly SIMD (assembly/cnnKernels.ts): the
 * convolution (with its ReLU / PReLU applied as it stores), max pooling and
 * the fully connected layer's double sums. The same bits as the TypeScript
 * layers (convolution.ts, activation.ts, pooling.ts, fullyConnected.ts),
 * which call these whenever the module loads; tests/core/cnn/
 * wasmLayers.test.ts compares the two bit for bit.
 *
 * Memory: after the module's static data, an arena of layer weights
 * (arranged for the kernels once per weights object, then resident), then
 * the per-call scratch (inputs, tables, outputs). The arena doubles when
 * full, up to ARENA_LIMIT_BYTES; past that it is emptied and refilled by the
 * layers in use (weights of models no longer used are never freed otherwise).
 */
import { CNN_KERNELS_WASM } from '../wasm/generated/cnnKernelsWasm.ts';
import { LinearMemory, align16, instantiateBase64 } from '../wasm/index.ts';
import type { ConvolutionActivation, ConvolutionWeights } from './convolution.ts';
import type { FullyConnectedWeights } from './fullyConnected.ts';
import type { Tensor3 } from './tensor.ts';

interface CnnKernelExports {
  readonly memory: WebAssembly.Memory;
  readonly CONVOLUTION_GROUP: WebAssembly.Global;
  readonly FULLY_CONNECTED_GROUP: WebAssembly.Global;
  heapBase(): number;
  arrangedWeightsBytes(rows: number, len: number): number;
  arrangeWeights(src: number, rows: number, len: number, group: number, dst: number): void;
  convolve(
    input: number, width: number, height: number, inputMaps: number, kh: number, kw: number,
    weights: number, biases: number, outputMaps: number, activation: number, slopes: number, offsets: number, out: number,
  ): void;
  maxPool(input: number, channels: number, height: number, width: number, kx: number, ky: number, sx: number, sy: number, oh: number, ow: number, out: number): void;
  fullyConnected(
    vectors: number, positions: number, positionStep: number, inputs: number, inputStep: number,
    weights: number, biases: number, outputs: number, roundSum: number, out: number,
  ): void;
}

/** assembly/cnnKernels.ts's codes for what the convolution applies as it stores (activation.ts relu / prelu). */
const STORE_PLAIN = 0;
const STORE_CODE = { relu: 1, prelu: 2 } as const;

/** A layer's arranged weights and biases in the arena. */
interface ResidentLayer {
  readonly weights: number;
  readonly biases: number;
}

const ARENA_START_BYTES = 1 << 20;
const ARENA_LIMIT_BYTES = 16 << 20;

export class WasmLayers {
  private readonly memory: LinearMemory;
  private readonly arenaStart: number;
  private arenaBytes = ARENA_START_BYTES;
  private arenaTop: number;
  private resident = new WeakMap<ConvolutionWeights | FullyConnectedWeights, ResidentLayer>();

  private constructor(private readonly x: CnnKernelExports) {
    this.memory = new LinearMemory(x.memory);
    this.arenaStart = align16(x.heapBase());
    this.arenaTop = this.arenaStart;
  }

  /** The kernels, or null where WebAssembly SIMD is unavailable (the layers then run their TypeScript). */
  static create(): WasmLayers | null {
    const exports = instantiateBase64<CnnKernelExports>(CNN_KERNELS_WASM, 'cnn kernels');
    return exports ? new WasmLayers(exports) : null;
  }

  /** Where the per-call scratch starts (right after the arena). */
  private get scratch(): number {
    return this.arenaStart + this.arenaBytes;
  }

  /**
   * convolution.ts's convolve followed by the activation (if any), applied
   * per output map; the caller has checked the shapes and, for prelu, that
   * there is a slope per map and more than one map.
   */
  convolve(input: Tensor3, layer: ConvolutionWeights, activation: ConvolutionActivation | null): Tensor3 {
    const { inputMaps, outputMaps, kernelHeight, kernelWidth } = layer;
    const { width, height } = input;
    const oh = height - kernelHeight + 1, ow = width - kernelWidth + 1;
    const outCount = outputMaps * oh * ow;
    const { weights, biases } = this.residentLayer(layer, outputMaps, this.x.CONVOLUTION_GROUP.value as number);
    const inAt = this.scratch;
    const slopesAt = align16(inAt + input.data.length * 8);
    const offsetsAt = align16(slopesAt + (outputMaps + 1) * 8);
    const outAt = align16(offsetsAt + inputMaps * kernelHeight * kernelWidth * 4);
    this.memory.ensure(outAt + outCount * 4);
    const f64 = this.memory.f64;
    f64.set(input.data, inAt >> 3);
    if (activation?.kind === 'prelu') {
      f64.set(activation.slopes.subarray(0, outputMaps), slopesAt >> 3);
      f64[(slopesAt >> 3) + outputMaps] = 0;
    }
    this.x.convolve(inAt, width, height, inputMaps, kernelHeight, kernelWidth, weights, biases, outputMaps, activation ? STORE_CODE[activation.kind] : STORE_PLAIN, slopesAt, offsetsAt, outAt);
    return { channels: outputMaps, height: oh, width: ow, data: this.memory.f32.slice(outAt >> 2, (outAt >> 2) + outCount) };
  }

  /** pooling.ts's maxPool with the output size it computed. */
  maxPool(input: Tensor3, kernelX: number, kernelY: number, strideX: number, strideY: number, oh: number, ow: number): Tensor3 {
    const { channels, height, width } = input;
    const inAt = this.scratch;
    const outAt = align16(inAt + input.data.length * 4 + 16);
    const outCount = channels * oh * ow;
    this.memory.ensure(outAt + outCount * 4);
    this.memory.f32.set(input.data, inAt >> 2);
    this.x.maxPool(inAt, channels, height, width, kernelX, kernelY, strideX, strideY, oh, ow, outAt);
    return { channels, height: oh, width: ow, data: this.memory.f32.slice(outAt >> 2, (outAt >> 2) + outCount) };
  }

  /**
   * fullyConnected.ts's double sums: `positions` input vectors of the layer's
   * length, vector p's input i at data[p * positionStride + i * inputStride];
   * out[o * positions + p] = float(sum + bias), or float(float(sum) + bias)
   * when roundSum.
   */
  fullyConnected(layer: FullyConnectedWeights, data: Float32Array, positions: number, positionStride: number, inputStride: number, roundSum: boolean): Float32Array {
    const { inputs, outputs } = layer;
    const { weights, biases } = this.residentLayer(layer, outputs, this.x.FULLY_CONNECTED_GROUP.value as number);
    const inAt = this.scratch;
    const outAt = align16(inAt + data.length * 8);
    const outCount = outputs * positions;
    this.memory.ensure(outAt + outCount * 4);
    this.memory.f64.set(data, inAt >> 3);
    this.x.fullyConnected(inAt, positions, positionStride * 8, inputs, inputStride * 8, weights, biases, outputs, roundSum ? 1 : 0, outAt);
    return this.memory.f32.slice(outAt >> 2, (outAt >> 2) + outCount);
  }

  /** A layer's weights (rows x len, float) in the arena in groups of `group` rows, arranged on first use. */
  private residentLayer(layer: ConvolutionWeights | FullyConnectedWeights, rows: number, group: number): ResidentLayer {
    const known = this.resident.get(layer);
    if (known) return known;
    const len = layer.weights.length / rows;
    const weightBytes = align16(this.x.arrangedWeightsBytes(rows, len));
    const bytes = weightBytes + align16((rows + 1) * 8);
    this.makeRoom(bytes);
    const stored: ResidentLayer = { weights: this.arenaTop, biases: this.arenaTop + weightBytes };
    this.arenaTop += bytes;
    // the float weights go through the scratch, where the kernel arranges them
    this.memory.ensure(this.scratch + layer.weights.length * 4);
    this.memory.f32.set(layer.weights, this.scratch >> 2);
    this.x.arrangeWeights(this.scratch, rows, len, group, stored.weights);
    const f64 = this.memory.f64;
    f64.set(layer.biases, stored.biases >> 3);
    f64[(stored.biases >> 3) + rows] = 0;
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

let shared: WasmLayers | null | undefined;
let enabled = true;

/** The thread's kernels, made on first use; null where WebAssembly SIMD is unavailable (or they are turned off). */
export function wasmLayers(): WasmLayers | null {
  if (!enabled) return null;
  if (shared === undefined) shared = WasmLayers.create();
  return shared;
}

/**
 * Turns the WebAssembly layers off or back on for this thread (tests and
 * benchmarks compare whole networks with the TypeScript); returns the
 * previous setting.
 */
export function setWasmLayersEnabled(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}
