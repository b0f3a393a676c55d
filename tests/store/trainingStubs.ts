import type { EngineApi } from '../../src/worker/protocol';

/** The training commands, unused by these tests (tests/store/train.test.ts covers them). */
export function trainingStubs(): Pick<
  EngineApi,
  'decodeImages' | 'startTraining' | 'pauseTraining' | 'resumeTraining' | 'stepTraining' | 'stopTraining' | 'rollbackTraining' | 'importModel'
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
    importModel: async () => {
      throw new Error('not used');
    },
  };
}
