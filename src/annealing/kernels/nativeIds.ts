// The kernel ids of the native whole-chain loop (native/src/op_ids.h, enum ChainKernel); a test
// (test/native-ids.test.ts) reads the header and checks that the two agree.
export const NATIVE_CHAIN_KERNEL = { ula: 0, hmc: 1, uha: 2, mala: 3 } as const;
