// RUN: txc-opt %s -split-input-file --txc-tile-ffn | FileCheck %s
// RUN: txc-opt %s -split-input-file "--txc-tile-ffn=vector-width=8" | FileCheck %s --check-prefix=AVX2

// The FFN: fc1's ReLU moves into the GEMM epilogue; both weights are
// packed in panels of two vectors (32 floats on AVX-512, 16 on AVX2).
// CHECK-LABEL: func @ffn
// CHECK: %[[P1:.*]] = txc.packed_weight "l.fc1.weight" {panel_width = 32 : i64, rows = 64 : i64} : tensor<2x16x32xf32>
// CHECK: %[[H:.*]] = txc.gemm %arg0, %[[P1]], %{{.*}} {activation = "relu", out_features = 64 : i64, panels_per_task = 1 : i64, tile_rows = 8 : i64}
// CHECK-NOT: txc.relu
// CHECK: %[[P2:.*]] = txc.packed_weight "l.fc2.weight" {panel_width = 32 : i64, rows = 16 : i64} : tensor<1x64x32xf32>
// CHECK: txc.gemm %[[H]], %[[P2]], %{{.*}} {activation = "none", out_features = 16 : i64
// AVX2-LABEL: func @ffn
// AVX2: txc.packed_weight "l.fc1.weight" {panel_width = 16 : i64, rows = 64 : i64} : tensor<4x16x16xf32>
// AVX2: tile_rows = 4 : i64
func @ffn(%x: tensor<?x?x16xf32>) -> tensor<?x?x16xf32> {
  %w1 = txc.weight "l.fc1.weight" : tensor<64x16xf32>
  %b1 = txc.weight "l.fc1.bias" : tensor<64xf32>
  %h = txc.linear %x, %w1, %b1 : (tensor<?x?x16xf32>, tensor<64x16xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %a = txc.relu %h : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %w2 = txc.weight "l.fc2.weight" : tensor<16x64xf32>
  %b2 = txc.weight "l.fc2.bias" : tensor<16xf32>
  %y = txc.linear %a, %w2, %b2 : (tensor<?x?x64xf32>, tensor<16x64xf32>, tensor<16xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

// The output projection (no bias, a vocabulary of rows) is tiled too; a
// task's panels fit in half of L2 (8 here) but are at most a thirty-second
// of the 128 panels, so a thread that starts late still finds tasks.
// CHECK-LABEL: func @output_projection
// CHECK: txc.packed_weight "decoder.embed_tokens.weight" {panel_width = 32 : i64, rows = 4096 : i64} : tensor<128x512x32xf32>
// CHECK: txc.gemm %arg0, %{{.*}} {activation = "none", out_features = 4096 : i64, panels_per_task = 4 : i64, tile_rows = 8 : i64} : (tensor<?x?x512xf32>, tensor<128x512x32xf32>) -> tensor<?x?x4096xf32>
func @output_projection(%x: tensor<?x?x512xf32>) -> tensor<?x?x4096xf32> {
  %w = txc.weight "decoder.embed_tokens.weight" : tensor<4096x512xf32>
  %y = txc.linear %x, %w : (tensor<?x?x512xf32>, tensor<4096x512xf32>) -> tensor<?x?x4096xf32>
  return %y : tensor<?x?x4096xf32>
}

// -----

// A GELU used twice stays outside the epilogue.
// CHECK-LABEL: func @shared_activation
// CHECK: txc.gemm {{.*}}activation = "none"
// CHECK: txc.gelu
func @shared_activation(%x: tensor<?x16xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %w = txc.weight "w" : tensor<16x16xf32>
  %h = txc.linear %x, %w : (tensor<?x16xf32>, tensor<16x16xf32>) -> tensor<?x16xf32>
  %g = txc.gelu %h : (tensor<?x16xf32>) -> tensor<?x16xf32>
  return %g, %h : tensor<?x16xf32>, tensor<?x16xf32>
}
