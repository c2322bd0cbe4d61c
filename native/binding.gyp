{
  "targets": [
    {
      "target_name": "anneal_native",
      "sources": ["src/addon.cc", "src/gemm.cc", "src/pool.cc", "src/elementwise.cc"],
      "cflags_cc!": ["-fno-exceptions", "-O2", "-O3"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math", "-fno-exceptions"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3", "-fno-math-errno"] }
    }
  ]
}
