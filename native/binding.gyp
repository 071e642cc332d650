{
  "targets": [
    {
      "target_name": "rackvisor_native",
      "sources": [
        "<!@(ls -1 src/*.cc)",
        "<!@(ls -1 nflib/*.cc)"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "src",
        "nflib"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y", "-std=gnu++14"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-Wno-missing-field-initializers", "-Wno-unused-parameter",
                    "<!@(pkg-config --cflags libdpdk)"],
      "libraries": ["-Wl,--no-as-needed", "-lrte_net_ring", "<!@(pkg-config --libs libdpdk)"]
    }
  ]
}
