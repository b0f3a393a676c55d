/**
 * The resumable state shared by the single-network trainers (DDPM ε-net, noise-aware
 * classifier): the iteration, the random stream and one Adam's moments under `opt/`.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';
import type { Adam } from './adam';
import { checkOneOptimizerStateJson } from './resumeStateCheck';

export interface OneOptimizerStateJson {
  iteration: number;
  rng: number[];
  optSteps: number;
}

interface OneOptimizerTrainer {
  iteration: number;
  readonly rng: Rng;
  readonly opt: Adam;
}

export function oneOptimizerStateJson(t: OneOptimizerTrainer): OneOptimizerStateJson {
  return { iteration: t.iteration, rng: t.rng.getState(), optSteps: t.opt.steps };
}

export function oneOptimizerStateTensors(t: OneOptimizerTrainer): Record<string, tf.Tensor> {
  return t.opt.stateTensors('opt/');
}

/** Restores the state; throws a CheckpointError naming what is wrong with a bad one (nothing is changed then). */
export function loadOneOptimizerState(t: OneOptimizerTrainer, json: OneOptimizerStateJson, tensors: Record<string, tf.Tensor>): void {
  checkOneOptimizerStateJson(json);
  t.iteration = json.iteration;
  t.rng.setState(json.rng);
  t.opt.loadState(tensors, 'opt/', json.optSteps);
}
