// A prior built from common pieces, on unconstrained coordinates: what likelihood tempering needs
// as its initial distribution (the annealing path prior^(1 - beta) (prior x likelihood)^beta is
// prior x likelihood^beta), with exact draws, a normalized log density and its score. Scale
// parameters live on the log scale, their densities carrying the Jacobian of exp, so every
// coordinate ranges over the whole real line as the samplers' moves need.
import { z } from 'zod';
import { tf, type Rng, type Tensor1D, type Tensor2D } from '../engine/index.js';
import { firstIssue, issueWithField, positiveFloat32 } from '../io/issues.js';
import { checkOptionKeys, nearestKey } from '../io/entryOptions.js';
import { chiSquareArray, logGamma } from '../targets/special.js';
import type { Distribution } from './distribution.js';
import type { Target } from '../targets/target.js';

const LOG_2PI = Math.log(2 * Math.PI);

const positive = positiveFloat32;
const size = z.number().int().positive().default(1);
/** The pieces' schema: one object per kind, defaults filled in. */
export const PriorPieceSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('normal'),
    loc: z.number().finite().default(0),
    scale: positive.default(1),
    size,
  }),
  z.strictObject({
    kind: z.literal('student-t'),
    df: positive,
    loc: z.number().finite().default(0),
    scale: positive.default(1),
    size,
  }),
  // log sigma where sigma ~ HalfNormal(scale) or HalfCauchy(scale).
  z.strictObject({ kind: z.literal('log-half-normal'), scale: positive.default(1), size }),
  z.strictObject({ kind: z.literal('log-half-cauchy'), scale: positive.default(1), size }),
]);

/** Each kind of piece and the fields it takes. */
const PIECE_FIELDS = {
  normal: ['kind', 'loc', 'scale', 'size'],
  'student-t': ['kind', 'df', 'loc', 'scale', 'size'],
  'log-half-normal': ['kind', 'scale', 'size'],
  'log-half-cauchy': ['kind', 'scale', 'size'],
} as const satisfies Record<PriorPiece['kind'], readonly string[]>;

/** Validates one piece, naming it and the field at fault in plain words. */
function parsePiece(name: string, raw: unknown): PriorPiece {
  const where = `prior piece '${name}'`;
  const kinds = Object.keys(PIECE_FIELDS);
  const kind = (raw as { kind?: unknown } | null)?.kind;
  if (typeof raw === 'object' && raw !== null && !kinds.includes(kind as string)) {
    const near = typeof kind === 'string' ? nearestKey(kind, kinds) : null;
    throw new RangeError(
      `${where}: kind ${kind === undefined ? 'is missing' : `'${String(kind)}' is not known`}${near ? ` (did you mean '${near}'?)` : ''}; kinds: ${kinds.join(', ')}`,
    );
  }
  if (typeof raw === 'object' && raw !== null)
    checkOptionKeys(where, raw, PIECE_FIELDS[kind as PriorPiece['kind']], (m) => new RangeError(m));
  const result = PriorPieceSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const issue = firstIssue(result.error.issues);
  throw new RangeError(
    `${where}: ${issue ? issueWithField(issue, PriorPieceSchema) : 'is not valid'}`,
  );
}

/** One block of a prior's coordinates, all drawn independently from the same law. */
export type PriorPiece = z.infer<typeof PriorPieceSchema>;
/** A piece as given: `kind` and the fields to change from their defaults. */
export type PriorPieceInput = z.input<typeof PriorPieceSchema>;

/** x ~ N(loc, scale^2), `size` coordinates. */
export function normalPrior(loc = 0, scale = 1, size = 1): PriorPieceInput {
  return { kind: 'normal', loc, scale, size };
}
/** x ~ Student-t with df degrees of freedom, location loc and scale, `size` coordinates. */
export function studentTPrior(df: number, loc = 0, scale = 1, size = 1): PriorPieceInput {
  return { kind: 'student-t', df, loc, scale, size };
}
/** log sigma, where sigma ~ HalfNormal(scale): a scale parameter on the log scale. */
export function logHalfNormalPrior(scale = 1, size = 1): PriorPieceInput {
  return { kind: 'log-half-normal', scale, size };
}
/** log sigma, where sigma ~ HalfCauchy(scale): a heavy-tailed scale parameter on the log scale. */
export function logHalfCauchyPrior(scale = 1, size = 1): PriorPieceInput {
  return { kind: 'log-half-cauchy', scale, size };
}

/** Where a named piece's coordinates sit in a particle's row. */
export interface PriorBlock {
  offset: number;
  size: number;
}

/**
 * A product of independent pieces as a Distribution. `blocks` says where each named piece sits,
 * and `block(z, name)` slices its columns out of rows of particles (for a likelihood).
 */
export class Prior implements Distribution {
  readonly dim: number;
  readonly blocks: Readonly<Record<string, PriorBlock>>;
  private readonly pieces: readonly { piece: PriorPiece; offset: number }[];

  constructor(pieces: Readonly<Record<string, PriorPieceInput>>) {
    if (typeof pieces !== 'object' || pieces === null || Array.isArray(pieces))
      throw new RangeError('prior: give its pieces as an object of name: piece');
    const names = Object.keys(pieces);
    if (names.length === 0) throw new RangeError('prior: give at least one piece');
    let offset = 0;
    const blocks: Record<string, PriorBlock> = {};
    const parsed: { piece: PriorPiece; offset: number }[] = [];
    for (const name of names) {
      const piece = parsePiece(name, pieces[name]);
      blocks[name] = { offset, size: piece.size };
      parsed.push({ piece, offset });
      offset += piece.size;
    }
    this.dim = offset;
    this.blocks = blocks;
    this.pieces = parsed;
  }

  /** The columns of the named piece, [N, size]. */
  block(z: Tensor2D, name: string): Tensor2D {
    const b = this.blocks[name];
    if (!b)
      throw new RangeError(
        `prior: no piece '${name}'; its pieces: ${Object.keys(this.blocks).join(', ')}`,
      );
    return tf.slice(z, [0, b.offset], [-1, b.size]) as Tensor2D;
  }

  logProb(z: Tensor2D): Tensor1D {
    return tf.tidy(() => {
      const parts = this.pieces.map(({ piece, offset }) =>
        tf.sum(pieceLogProb(piece, tf.slice(z, [0, offset], [-1, piece.size]) as Tensor2D), 1),
      );
      return tf.addN(parts) as Tensor1D;
    });
  }

  score(z: Tensor2D): Tensor2D {
    return tf.tidy(
      () =>
        tf.concat(
          this.pieces.map(({ piece, offset }) =>
            pieceScore(piece, tf.slice(z, [0, offset], [-1, piece.size]) as Tensor2D),
          ),
          1,
        ) as Tensor2D,
    );
  }

  /** Exact draws, [n, dim]: each piece's columns from the stream in turn. */
  sample(n: number, rng: Rng): Tensor2D {
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`prior: draws must be a positive integer, got ${n}`);
    const out = new Float32Array(n * this.dim);
    for (const { piece, offset } of this.pieces) {
      const values = pieceDraws(piece, n * piece.size, rng);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < piece.size; j++)
          out[i * this.dim + offset + j] = values[i * piece.size + j] as number;
    }
    return tf.tensor2d(out, [n, this.dim]);
  }
}

/**
 * A prior from named pieces, in the order given:
 * `priorOf({ mu: normalPrior(0, 5), logTau: logHalfCauchyPrior(5), theta: normalPrior(0, 1, 8) })` is 10
 * coordinates. It holds no tensors (nothing to dispose).
 */
export function priorOf(pieces: Readonly<Record<string, PriorPieceInput>>): Prior {
  return new Prior(pieces);
}

/**
 * The unnormalized posterior prior(z) x likelihood(z) as a target, whose log Z is the model's log
 * evidence. Run it with the prior as the initial distribution (`initial: prior`) and the annealing
 * tempers the likelihood alone. `logLikelihood` maps [N, dim] to [N] (rows of parameters to their
 * log likelihood of the data); the prior stays the caller's.
 */
export function posteriorOf(options: {
  prior: Distribution;
  logLikelihood: (z: Tensor2D) => Tensor1D;
  name?: string;
  /** The exact log evidence, where known (for checks). */
  logZ?: number;
}): Target {
  const { prior, logLikelihood } = options;
  if (typeof logLikelihood !== 'function')
    throw new RangeError('posteriorOf: logLikelihood must be a function of [N, dim] rows');
  return {
    name: options.name ?? 'posterior',
    dim: prior.dim,
    logProb: (z: Tensor2D) =>
      tf.tidy(() => {
        const lik = logLikelihood(z);
        return tf.add(prior.logProb(z), lik) as Tensor1D;
      }),
    ...(options.logZ !== undefined ? { logZ: options.logZ } : {}),
  };
}

/** Elementwise log density of one piece's columns [N, size]. */
function pieceLogProb(p: PriorPiece, x: Tensor2D): Tensor2D {
  switch (p.kind) {
    case 'normal': {
      const u = tf.div(tf.sub(x, p.loc), p.scale);
      return tf.sub(tf.mul(-0.5, tf.square(u)), Math.log(p.scale) + 0.5 * LOG_2PI) as Tensor2D;
    }
    case 'student-t': {
      const u = tf.div(tf.sub(x, p.loc), p.scale);
      const norm =
        logGamma((p.df + 1) / 2) -
        logGamma(p.df / 2) -
        0.5 * Math.log(p.df * Math.PI) -
        Math.log(p.scale);
      return tf.add(
        tf.mul(-(p.df + 1) / 2, tf.log1p(tf.div(tf.square(u), p.df))),
        norm,
      ) as Tensor2D;
    }
    case 'log-half-normal': {
      // sigma = e^s: log 2 - log(scale sqrt(2 pi)) - sigma^2 / (2 scale^2) + s.
      const u = tf.div(tf.exp(tf.mul(2, x)), p.scale * p.scale);
      const norm = Math.log(2) - Math.log(p.scale) - 0.5 * LOG_2PI;
      return tf.add(tf.sub(x, tf.mul(0.5, u)), norm) as Tensor2D;
    }
    case 'log-half-cauchy': {
      // log 2 - log(pi scale) - log(1 + sigma^2 / scale^2) + s, written with softplus so that a
      // large s does not overflow: log(1 + e^(2 (s - log scale))).
      const t = tf.mul(2, tf.sub(x, Math.log(p.scale)));
      const norm = Math.log(2) - Math.log(Math.PI * p.scale);
      return tf.add(tf.sub(x, tf.softplus(t)), norm) as Tensor2D;
    }
  }
}

/** Elementwise gradient of one piece's log density. */
function pieceScore(p: PriorPiece, x: Tensor2D): Tensor2D {
  switch (p.kind) {
    case 'normal':
      return tf.div(tf.sub(p.loc, x), p.scale * p.scale) as Tensor2D;
    case 'student-t': {
      const d = tf.sub(x, p.loc);
      const denom = tf.add(tf.square(d), p.df * p.scale * p.scale);
      return tf.div(tf.mul(-(p.df + 1), d), denom) as Tensor2D;
    }
    case 'log-half-normal':
      return tf.sub(1, tf.div(tf.exp(tf.mul(2, x)), p.scale * p.scale)) as Tensor2D;
    case 'log-half-cauchy':
      // 1 - 2 u / (1 + u) with u = e^(2 (s - log scale)): 1 - 2 sigmoid(2 (s - log scale)).
      return tf.sub(1, tf.mul(2, tf.sigmoid(tf.mul(2, tf.sub(x, Math.log(p.scale)))))) as Tensor2D;
  }
}

/** `count` independent draws of one piece's law, from the stream. */
function pieceDraws(p: PriorPiece, count: number, rng: Rng): Float64Array {
  const eps = rng.normalArray(count);
  switch (p.kind) {
    case 'normal':
      return eps.map((e) => p.loc + p.scale * e);
    case 'student-t': {
      const chi2 = chiSquareArray(rng, p.df, count);
      return eps.map((e, i) => p.loc + p.scale * e * Math.sqrt(p.df / (chi2[i] as number)));
    }
    case 'log-half-normal':
      return eps.map((e) => Math.log(p.scale * Math.abs(e)));
    case 'log-half-cauchy': {
      // |e1 / e2| of two standard normals is HalfCauchy(1).
      const other = rng.normalArray(count);
      return eps.map(
        (e, i) =>
          Math.log(p.scale) + Math.log(Math.abs(e)) - Math.log(Math.abs(other[i] as number)),
      );
    }
  }
}
