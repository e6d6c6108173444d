import { hasModels } from '../../src/models/nodeModelStore.ts';

export const SKIP_NO_MODELS = 'needs public/models (built by npm install; run npm run models)';

/** Why a suite needing the built models cannot run here, or null. */
export function modelsSkipReason(): string | null {
  return hasModels() ? null : SKIP_NO_MODELS;
}
