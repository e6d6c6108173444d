/**
 * The page's memory over the long videos alone: the part of
 * `npm run bench -- --long` that measures the app (renderer PSS from adding
 * the video to the CSV's last byte, see browserBench.ts), without the CLI
 * sections that run first there. Progress and the memory so far go to stderr
 * every minute, the figures to stdout as JSON.
 *
 *   npx tsx scripts/bench/pageMemory.ts              (the 9- and the 30-minute video)
 *   npx tsx scripts/bench/pageMemory.ts "30 min"     (one of them, by label)
 */
import { runLongPageMemory } from './browserBench.ts';
import { SHARED, hasSharedData } from '../sharedData.ts';

if (!hasSharedData) {
  console.log(JSON.stringify({ skipped: 'needs ../shared (videos and the OpenFace 2.2 folder)' }));
  process.exit(0);
}
const labels = process.argv.slice(2);
const figures = await runLongPageMemory({ shared: SHARED, labels: labels.length ? labels : undefined, log: (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`) });
console.log(JSON.stringify(figures, null, 2));
