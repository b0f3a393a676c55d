/**
 * The quality metrics an evaluation stores in model.json, as the user reads them: a name, a
 * short column heading, one sentence on what the number means, and its format. Shared by the
 * Model panel, the Compare rows and the T-ablation table, so a metric reads the same
 * everywhere. Pure: no React, no DOM.
 */

export const METRIC_KEYS = [
  'frechetDistance',
  'frechetDistanceFloor',
  'precision',
  'recall',
  'confidentShare',
  'classKlToUniform',
  'classesPresent',
  'nearCopyShare',
] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

export interface MetricInfo {
  /** The name shown next to the value. */
  readonly label: string;
  /** A table column heading. */
  readonly short: string;
  /** What the number says, in one sentence (shown under the value, and as a tooltip). */
  readonly explain: string;
  format(v: number): string;
}

const pct = (v: number): string => `${(100 * v).toFixed(v >= 0.995 || v < 0.1 ? 1 : 0)} %`;
const fixed = (digits: number) => (v: number): string => v.toFixed(digits);

export const METRIC_INFO: Readonly<Record<MetricKey, MetricInfo>> = {
  frechetDistance: {
    label: 'Fréchet distance',
    short: 'FD',
    explain: 'how far the samples lie from real images, measured in the judge classifier’s features; lower is better',
    format: fixed(2),
  },
  frechetDistanceFloor: {
    label: 'Floor',
    short: 'floor',
    explain: 'the Fréchet distance between two sets of real images of the same size: what a perfect model would score, so no model gets below it',
    format: fixed(2),
  },
  precision: {
    label: 'Precision',
    short: 'precision',
    explain: 'share of samples that look like real images (they lie where real data lies): quality',
    format: pct,
  },
  recall: {
    label: 'Recall',
    short: 'recall',
    explain: 'share of the real images the samples come close to: diversity',
    format: pct,
  },
  confidentShare: {
    label: 'Confidently classified',
    short: 'confident',
    explain: 'share of samples the judge classifier puts in one class with probability 0.9 or more: recognisable shapes',
    format: pct,
  },
  classKlToUniform: {
    label: 'Class balance (KL)',
    short: 'class KL',
    explain: 'how unevenly the classes are drawn: KL divergence of the class histogram from the uniform one, in nats; 0 = every class equally often',
    format: fixed(3),
  },
  classesPresent: {
    label: 'Classes present',
    short: 'classes',
    explain: 'classes that are the judge’s top pick for at least one sample',
    format: fixed(0),
  },
  nearCopyShare: {
    label: 'Near-copies',
    short: 'copies',
    explain: 'share of samples almost identical to a training image (memorised rather than generated)',
    format: pct,
  },
};

export function isMetricKey(k: string): k is MetricKey {
  return (METRIC_KEYS as readonly string[]).includes(k);
}

/** The metric's value as shown, or '–' for a missing or non-finite one. */
export function formatMetric(key: MetricKey, v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '–' : METRIC_INFO[key].format(v);
}
