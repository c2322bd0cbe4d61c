// Named, learnable parameters. Each is a TF.js variable with a stable name within its store and a
// trainable flag (frozen parameters are variables too, so a checkpoint restores them alike).
import { tf, type Tensor, type Variable } from '../engine/index.js';

let storeCounter = 0;

export interface SavedParam {
  shape: number[];
  values: number[];
  trainable: boolean;
}

export class ParamStore {
  private readonly vars = new Map<string, Variable>();
  /** Prefix that keeps TF.js's global variable names unique across stores in one process. */
  private readonly prefix = `anneal${storeCounter++}`;

  /** Creates a parameter from initial values (the store owns the variable; `init` is not freed). */
  add(name: string, init: Tensor, trainable: boolean): Variable {
    if (this.vars.has(name)) throw new Error(`parameter '${name}' already exists`);
    const v = tf.variable(init, trainable, `${this.prefix}/${name}`);
    this.vars.set(name, v);
    return v;
  }

  get(name: string): Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter named '${name}'`);
    return v;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  /** Trainable variables in a fixed order (the order optimizer state is stored in). */
  trainable(): Variable[] {
    return [...this.vars.values()].filter((v) => v.trainable);
  }

  /** Short name of a variable of this store. */
  shortName(v: Variable): string {
    return v.name.slice(this.prefix.length + 1);
  }

  /** Number of trainable scalars. */
  trainableSize(): number {
    return this.trainable().reduce((n, v) => n + v.size, 0);
  }

  save(): Record<string, SavedParam> {
    const out: Record<string, SavedParam> = {};
    for (const [name, v] of this.vars) {
      out[name] = { shape: v.shape, values: Array.from(v.dataSync()), trainable: v.trainable };
    }
    return out;
  }

  /** save() with the values read asynchronously (for backends without synchronous reads: webgpu). */
  async saveAsync(): Promise<Record<string, SavedParam>> {
    const out: Record<string, SavedParam> = {};
    for (const [name, v] of this.vars) {
      out[name] = { shape: v.shape, values: Array.from(await v.data()), trainable: v.trainable };
    }
    return out;
  }

  /** Restores values saved by save(); the set of names and shapes must match. */
  load(saved: Record<string, SavedParam>): void {
    const extra = Object.keys(saved).filter((name) => !this.vars.has(name));
    if (extra.length)
      throw new Error(
        `the checkpoint has parameters this model lacks: ${extra.slice(0, 3).join(', ')}`,
      );
    for (const [name, v] of this.vars) {
      const p = saved[name];
      if (!p) throw new Error(`checkpoint has no parameter '${name}'`);
      if (p.shape.join(',') !== v.shape.join(',')) {
        throw new Error(
          `parameter '${name}' has shape [${v.shape}] but the checkpoint has [${p.shape}]`,
        );
      }
      tf.tidy(() => v.assign(tf.tensor(p.values, p.shape, 'float32')));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
