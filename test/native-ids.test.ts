// The ids that cross between TypeScript and the native addon are written once on each side
// (native/src/op_ids.h; src/engine/nativeIds.ts, src/targets/nativeIds.ts,
// src/annealing/kernels/nativeIds.ts, STEP_READING_NAMES): this test reads the header and checks
// that each TypeScript table names the same entries with the same numbers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { NATIVE_OP } from '../src/engine/nativeIds.js';
import { STEP_READINGS } from '../src/engine/fused.js';
import { NATIVE_TARGET } from '../src/targets/nativeIds.js';
import { NATIVE_CHAIN_KERNEL } from '../src/annealing/kernels/nativeIds.js';
import { DENSITY_OPS } from '../src/engine/densityIr.js';

const header = readFileSync(new URL('../native/src/op_ids.h', import.meta.url), 'utf8');

/** The entries of `enum class name { A = 0, B = 1, ... }` in the header. */
function cppEnum(name: string): Map<string, number> {
  const body = new RegExp(`enum class ${name}\\s*\\{([^}]*)\\}`).exec(header)?.[1];
  assert.ok(body, `enum ${name} not found in op_ids.h`);
  const out = new Map<string, number>();
  for (const m of body.matchAll(/(\w+)\s*=\s*(\d+)/g)) out.set(m[1] as string, Number(m[2]));
  return out;
}

function constant(name: string): number {
  const m = new RegExp(`constexpr\\s+\\w+\\s+${name}\\s*=\\s*(\\d+)`).exec(header);
  assert.ok(m, `${name} not found in op_ids.h`);
  return Number(m[1]);
}

/** 'many-well' and 'ManyWell' name the same entry. */
const key = (name: string) => name.replace(/-/g, '').toLowerCase();

function assertSameTable(ts: Record<string, number>, cpp: Map<string, number>, what: string) {
  const left = Object.entries(ts).map(([k, v]) => [key(k), v] as const);
  const right = [...cpp].map(([k, v]) => [key(k), v] as const);
  assert.deepEqual(
    new Map(left),
    new Map(right),
    `${what}: the TypeScript table and op_ids.h disagree`,
  );
  // Ids are dense from 0, so the native side's range checks (id < count) cover them all.
  assert.deepEqual(
    [...cpp.values()].sort((a, b) => a - b),
    [...cpp.keys()].map((_, i) => i),
  );
}

describe('native ids: one definition per side, checked against each other', () => {
  it('fused op ids match enum FusedOp, and kFusedOps counts them', () => {
    assertSameTable(NATIVE_OP, cppEnum('FusedOp'), 'fused ops');
    assert.equal(constant('kFusedOps'), Object.keys(NATIVE_OP).length);
  });
  it('native target ids match enum TargetKind', () => {
    assertSameTable(NATIVE_TARGET, cppEnum('TargetKind'), 'targets');
    assert.equal(constant('kTargetKinds'), Object.keys(NATIVE_TARGET).length);
  });
  it('native chain kernel ids match enum ChainKernel', () => {
    assertSameTable(NATIVE_CHAIN_KERNEL, cppEnum('ChainKernel'), 'chain kernels');
    assert.equal(constant('kChainKernels'), Object.keys(NATIVE_CHAIN_KERNEL).length);
  });
  it("a step's readings have the same length on both sides", () => {
    assert.equal(constant('kReadings'), STEP_READINGS);
  });
  it("compiled densities' instruction codes match enum Op of density_program.cc", () => {
    const source = readFileSync(
      new URL('../native/src/density_program.cc', import.meta.url),
      'utf8',
    );
    const body = /enum Op : int32_t \{([^}]*)\}/.exec(source)?.[1];
    assert.ok(body, 'enum Op not found in density_program.cc');
    const codes = new Map<string, number>();
    for (const m of body.replace(/\/\/.*$/gm, '').matchAll(/(\w+)\s*=\s*(\d+)/g))
      codes.set(m[1] as string, Number(m[2]));
    assert.deepEqual(new Map(Object.entries(DENSITY_OPS)), codes);
  });
});
