import type { EngineApi } from '../../src/worker/protocol';

/** The training commands, unused by these tests (tests/store/train.test.ts covers them). */
export function trainingStubs(): Pick<
  EngineApi,
  'decodeImages' | 'startTraining' | 'pauseTraining' | 'resumeTraining' | 'stepTraining' | 'stopTraining' | 'rollbackTraining' | 'saveTraining' | 'importModel' | LabCommand | 'compare'
> {
  const none = async () => ({ state: null, iteration: 0 });
  return {
    decodeImages: async () => ({ images: [], ms: 0 }),
    startTraining: async () => {
      throw new Error('not used');
    },
    pauseTraining: none,
    resumeTraining: none,
    stepTraining: none,
    stopTraining: none,
    rollbackTraining: none,
    saveTraining: none,
    importModel: async () => {
      throw new Error('not used');
    },
    ...labStubs(),
  };
}

type LabCommand = 'startToyLab' | 'pauseToyLab' | 'resumeToyLab' | 'stopToyLab';

/**
 * The mode-coverage lab's commands and the compare view's, unused by the tests that spread
 * these (tests/store/lab.test.ts and tests/store/compare.test.ts cover them).
 */
export function labStubs(): Pick<EngineApi, LabCommand | 'compare'> {
  const none = async () => ({ state: null, iteration: 0 });
  return {
    startToyLab: async () => {
      throw new Error('not used');
    },
    pauseToyLab: none,
    resumeToyLab: none,
    stopToyLab: none,
    compare: async () => {
      throw new Error('not used');
    },
  };
}
