/**
 * The discriminator augmentations a training run may use (src/core/training/diffAugment.ts
 * applies them), by name. Plain data: the panel, the protocol and the CLIs read it.
 */
export const AUGMENTATIONS = ['color', 'translation', 'cutout'] as const;
export type Augmentation = (typeof AUGMENTATIONS)[number];

/** What each does, for the panel and --help. */
export const AUGMENTATION_INFO: { readonly [A in Augmentation]: string } = {
  color: 'brightness, saturation and contrast changed per image',
  translation: 'shifted by up to 1/8 of the side',
  cutout: 'a square of half the side blanked out',
};

export function isAugmentation(v: unknown): v is Augmentation {
  return (AUGMENTATIONS as readonly unknown[]).includes(v);
}

/**
 * A policy from its text form, e.g. 'color,translation,cutout' ('' or 'none' = no
 * augmentation), in the fixed order of AUGMENTATIONS so equal policies draw equal numbers.
 */
export function parseAugmentations(text: string): Augmentation[] {
  const t = text.trim();
  if (t === '' || t === 'none') return [];
  const names = t.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!isAugmentation(name)) throw new RangeError(`unknown augmentation "${name}": use a comma-separated list of ${AUGMENTATIONS.join(', ')}, or none`);
  }
  return AUGMENTATIONS.filter((a) => names.includes(a));
}

/** The text form of a policy ('none' when empty). */
export function augmentationsText(policy: readonly Augmentation[]): string {
  return policy.length === 0 ? 'none' : policy.join(',');
}

/** A saved policy (e.g. from a resume state or a session) checked, or the reason it is not one. */
export function checkAugmentations(v: unknown): Augmentation[] | string {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every(isAugmentation)) return `augment must be a list of ${AUGMENTATIONS.join(', ')}, got ${JSON.stringify(v)}`;
  return AUGMENTATIONS.filter((a) => v.includes(a));
}
