// The MCD score network's defaults (ScoreNetConfigSchema in scoreNet.ts reads them), apart from the
// network and its schema: the sampler defaults that include them (annealing/samplerTable.ts) stay
// importable by the playground's page without the tensor library or the schema's code.
export const SCORE_NET_DEFAULTS = { hidden: 64, blocks: 2, timeFeatures: 8 };
