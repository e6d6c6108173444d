// The entry of a tracking thread (src/cli/threadFaceSource.ts). A worker_threads
// worker does not inherit tsx's loader from the CLI's thread, so this plain
// module registers tsx in the new thread, then loads the TypeScript entry.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
