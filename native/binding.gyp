{
  "target_defaults": {
    "cflags_cc!": ["-fno-exceptions", "-O2"],
    "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd"],
    "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3", "-fno-math-errno"] }
  },
  "targets": [
    {
      "target_name": "anneal_rng",
      "type": "static_library",
      "sources": ["src/rng.cc"],
      "cflags": ["-fPIC"],
      "cflags_cc": ["-ffp-contract=off"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off"] }
    },
    {
      "target_name": "anneal_exact",
      "type": "static_library",
      "sources": ["src/fused_hmc.cc", "src/fused_mala.cc"],
      "cflags": ["-fPIC"],
      "cflags_cc": ["-ffp-contract=off"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off"] }
    },
    {
      "target_name": "anneal_native",
      "dependencies": ["anneal_rng", "anneal_exact"],
      "sources": ["src/addon.cc", "src/gemm.cc", "src/pool.cc", "src/elementwise.cc", "src/targets.cc", "src/fused.cc", "src/fused_move.cc", "src/fused_adam.cc", "src/dense.cc", "src/fused_ula.cc", "src/fused_uha.cc", "src/fused_mlp.cc", "src/fused_row_gaussian.cc", "src/fused_gather.cc", "src/fused_ancestors.cc", "src/fused_ais_update.cc", "src/density_program.cc", "src/fma_peak.cc", "src/copy_block.cc", "src/fused_target.cc"]
    }
  ]
}
