/** Sample-quality metrics (DESIGN §1 metrics/): pure functions over feature or pixel matrices. */
export * from './frechet';
export * from './precisionRecall';
export * from './classes';
export * from './nearCopy';
export * from './modes2d';
