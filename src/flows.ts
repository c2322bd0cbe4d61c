// 'anneal/flows': normalizing flows on their own: coupling flows, their path-gradient estimators,
// training runs and evaluation.
export * from './flows/index.js';
