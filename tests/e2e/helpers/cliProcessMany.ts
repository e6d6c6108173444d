/**
 * `splitface process` over several videos in one process (see cliCsvs.ts):
 *   node --import tsx cliProcessMany.ts MODELS VIDEO OUT.csv [VIDEO OUT.csv ...]
 * The same calls as src/cli/main.ts makes for each, with the model folder
 * read once and a fresh tracker per video.
 */
import '../../../src/cli/relaxedSimd.ts';
import { processVideo } from '../../../src/cli/processVideo.ts';
import { loadModelFolder } from '../../../src/cli/modelFolder.ts';
import { trackerFaceSource } from '../../../src/cli/faceSources.ts';
import { DEFAULT_EXECUTION_PROVIDER } from '../../../src/models/node.ts';

const [models, ...pairs] = process.argv.slice(2);
if (!models || pairs.length === 0 || pairs.length % 2 !== 0) throw new Error('usage: cliProcessMany.ts MODELS VIDEO OUT.csv [VIDEO OUT.csv ...]');
const folder = await loadModelFolder(models);
for (let i = 0; i < pairs.length; i += 2) {
  const [video, out] = [pairs[i]!, pairs[i + 1]!];
  await processVideo({
    video,
    models,
    landmarksFrom: undefined,
    out,
    hogOut: undefined,
    alignedOut: undefined,
    fps: 30,
    allFaces: false,
    executionProvider: DEFAULT_EXECUTION_PROVIDER,
    faceSource: await trackerFaceSource(folder, { allFaces: false }, DEFAULT_EXECUTION_PROVIDER),
  });
}
