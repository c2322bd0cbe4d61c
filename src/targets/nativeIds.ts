// The ids of the targets the native kernels evaluate themselves (native/src/op_ids.h, enum
// TargetKind); test/native-ids.test.ts reads the header and checks that the two agree.
export const NATIVE_TARGET = { funnel: 0, 'many-well': 1, 'iso-gmm': 2 } as const;
