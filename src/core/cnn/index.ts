/**
 * OpenFace's small CNNs, float32 like OpenFace's CNN_utils: used by the
 * CLNF detection validator (src/core/clnf/validator.ts) and the MTCNN face
 * detector (src/core/detect/mtcnn/).
 *
 * Data: `Tensor3` = { channels, height, width, data: Float32Array }, planar
 * (channel-major, each plane row-major). A fully connected layer's output is
 * a vector: { channels: 1, height: n, width: 1 } from several maps,
 * { channels: 1, height: 1, width: n } from one (OpenCV's column / row).
 *
 * Layers (each returns a new tensor; none keeps state):
 *   convolve(input, ConvolutionWeights, scratch?, activation?)   valid
 *       cross-correlation + bias, im2col times weights, each output summed in
 *       float32 with fused multiply-adds in im2col order, bias last (OpenFace's
 *       convolution_direct_blas); then relu / prelu when asked
 *   prepareConvolution(in, out, kh, kw, kernels[in*out], biases) -> ConvolutionWeights
 *   maxPool(input, kernelX, kernelY, strideX, strideY)   OpenFace's caffe-style sizes
 *   fullyConnected(input, FullyConnectedWeights, sums = 'double')   per pixel,
 *       flattened (maps column by column) or vector, as OpenFace's fully_connected
 *   fullyConnectedFromFile(inputs, outputs, inputsByOutputs, biases)
 *   relu(input), prelu(input, slopes), sigmoid(input)
 *   runCnn(layers: CnnLayer[], input, options?)   the layers in order (a
 *       convolution and the ReLU / PReLU after it as one step)
 *
 * Speed: the convolution, max pooling and double-sum fully connected layers
 * run in WebAssembly SIMD (wasmLayers.ts; AssemblyScript in
 * assembly/cnnKernels.ts, compiled at install time) wherever it loads, and
 * in TypeScript otherwise (convolveTypeScript, maxPoolTypeScript,
 * productsTypeScript): the same bits either way (tests/core/cnn/
 * wasmLayers.test.ts). setWasmLayersEnabled(false) forces the TypeScript.
 *
 * Model files: readCnn(BinaryReader, 'validator' | 'mtcnn', what) reads
 * OpenFace's binary layer list (int32 count, then typed layers); also
 * readConvolution, readFullyConnected, readFloatMatrix (ReadMatBin as float32).
 */
export { type Tensor3, createTensor3, tensor3, channelPlane } from './tensor.ts';
export { convolve, prepareConvolution, im2col, createConvolutionScratch, type ConvolutionWeights, type ConvolutionScratch, type ConvolutionActivation } from './convolution.ts';
export { maxPool, pooledSize } from './pooling.ts';
export { fullyConnected, fullyConnectedFromFile, type FullyConnectedWeights, type DotAccumulation } from './fullyConnected.ts';
export { relu, prelu, sigmoid } from './activation.ts';
export { runCnn, applyLayer, type CnnLayer, type RunCnnOptions } from './network.ts';
export { readCnn, readConvolution, readFullyConnected, readFloatMatrix, type CnnFileDialect, type FloatMatrix } from './modelFile.ts';
