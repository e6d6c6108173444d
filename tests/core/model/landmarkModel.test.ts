import { describe, expect, it } from 'vitest';
import { CEN_PATCH_EXPERTS, describeLandmarkModel, hasCenWeights, LANDMARK_MODEL_CONFIG } from '../../../src/core/model/landmarkModel.ts';

describe('which landmark model ran', () => {
  it('finds CE-CLM weights by their place in the folder', () => {
    expect(hasCenWeights(['model/main_clnf_general.txt', 'model/cen_general.txt'])).toBe(false);
    expect(hasCenWeights(['model/main_clnf_general.txt', CEN_PATCH_EXPERTS[2]])).toBe(true);
    // a namesake elsewhere is not the model's file
    expect(hasCenWeights(['backup/cen_patches_0.25_of.dat'])).toBe(false);
  });

  it('names the CLNF configuration, and warns only when the folder has CEN weights', () => {
    const plain = describeLandmarkModel(false);
    expect(plain.config).toBe(LANDMARK_MODEL_CONFIG);
    expect(plain.summary).toContain(`-mloc ${LANDMARK_MODEL_CONFIG}`);
    expect(plain.summary).not.toContain('CE-CLM');
    const withCen = describeLandmarkModel(true);
    expect(withCen.cenWeightsInFolder).toBe(true);
    expect(withCen.summary).toContain('does not run CE-CLM');
  });
});
