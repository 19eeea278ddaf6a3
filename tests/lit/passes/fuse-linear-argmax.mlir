// RUN: txc-opt %s -split-input-file --txc-fuse-linear-argmax | FileCheck %s

// The greedy step's output projection and argmax become one op, which keeps
// the masked token and the bias; the raw-logits step is left alone.
// CHECK-LABEL: func @decode_step(
// CHECK: txc.gemm
// CHECK-NOT: txc.linear_argmax
// CHECK-LABEL: func @decode_step_argmax(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<?x?x4xf32>, %[[MASKED:[a-z0-9]+]]: index
// CHECK: %[[W:.*]] = txc.packed_weight "lm_head.weight"
// CHECK: %[[B:.*]] = txc.weight "lm_head.bias"
// CHECK-NOT: txc.gemm
// CHECK-NOT: txc.argmax
// CHECK: %[[IDS:.*]] = txc.linear_argmax %[[X]], %[[W]], %[[MASKED]], %[[B]] {out_features = 40 : i64} : (tensor<?x?x4xf32>, tensor<2x4x32xf32>, index, tensor<40xf32>) -> tensor<?x?xi32>
// CHECK: return %[[IDS]]
module {
  func @decode_step(%x: tensor<?x?x4xf32>) -> tensor<?x?x40xf32> {
    %w = txc.packed_weight "lm_head.weight" {rows = 40, panel_width = 32} : tensor<2x4x32xf32>
    %b = txc.weight "lm_head.bias" : tensor<40xf32>
    %logits = "txc.gemm"(%x, %w, %b) {out_features = 40, activation = "none", tile_rows = 8, panels_per_task = 1} : (tensor<?x?x4xf32>, tensor<2x4x32xf32>, tensor<40xf32>) -> tensor<?x?x40xf32>
    return %logits : tensor<?x?x40xf32>
  }
  func @decode_step_argmax(%x: tensor<?x?x4xf32>, %masked: index) -> tensor<?x?xi32> {
    %w = txc.packed_weight "lm_head.weight" {rows = 40, panel_width = 32} : tensor<2x4x32xf32>
    %b = txc.weight "lm_head.bias" : tensor<40xf32>
    %logits = "txc.gemm"(%x, %w, %b) {out_features = 40, activation = "none", tile_rows = 8, panels_per_task = 1} : (tensor<?x?x4xf32>, tensor<2x4x32xf32>, tensor<40xf32>) -> tensor<?x?x40xf32>
    %ids = txc.argmax %logits, %masked : (tensor<?x?x40xf32>, index) -> tensor<?x?xi32>
    return %ids : tensor<?x?xi32>
  }
}

// -----

// Without a bias the op has none.
// CHECK-LABEL: func @decode_step_argmax(
// CHECK: txc.linear_argmax %{{.*}}, %{{.*}}, %{{.*}} {out_features = 40 : i64} : (tensor<?x?x4xf32>, tensor<2x4x32xf32>, index) -> tensor<?x?xi32>
module {
  func @decode_step_argmax(%x: tensor<?x?x4xf32>, %masked: index) -> tensor<?x?xi32> {
    %w = txc.packed_weight "lm_head.weight" {rows = 40, panel_width = 32} : tensor<2x4x32xf32>
    %logits = "txc.gemm"(%x, %w) {out_features = 40, activation = "none", tile_rows = 8, panels_per_task = 1} : (tensor<?x?x4xf32>, tensor<2x4x32xf32>) -> tensor<?x?x40xf32>
    %ids = txc.argmax %logits, %masked : (tensor<?x?x40xf32>, index) -> tensor<?x?xi32>
    return %ids : tensor<?x?xi32>
  }
}

// -----

// Logits that something else also reads, and a projection with an
// activation, stay as they are.
// CHECK-LABEL: func @decode_step_argmax(
// CHECK-NOT: txc.linear_argmax
// CHECK: txc.argmax
// CHECK: txc.argmax
// CHECK-NOT: txc.linear_argmax
module {
  func @decode_step_argmax(%x: tensor<?x?x4xf32>, %masked: index) -> (tensor<?x?xi32>, tensor<?x?x40xf32>, tensor<?x?xi32>) {
    %w = txc.packed_weight "lm_head.weight" {rows = 40, panel_width = 32} : tensor<2x4x32xf32>
    %logits = "txc.gemm"(%x, %w) {out_features = 40, activation = "none", tile_rows = 8, panels_per_task = 1} : (tensor<?x?x4xf32>, tensor<2x4x32xf32>) -> tensor<?x?x40xf32>
    %ids = txc.argmax %logits, %masked : (tensor<?x?x40xf32>, index) -> tensor<?x?xi32>
    %relu = "txc.gemm"(%x, %w) {out_features = 40, activation = "relu", tile_rows = 8, panels_per_task = 1} : (tensor<?x?x4xf32>, tensor<2x4x32xf32>) -> tensor<?x?x40xf32>
    %ids2 = txc.argmax %relu, %masked : (tensor<?x?x40xf32>, index) -> tensor<?x?xi32>
    return %ids, %logits, %ids2 : tensor<?x?xi32>, tensor<?x?x40xf32>, tensor<?x?xi32>
  }
}
