// RUN: txc-opt %s -split-input-file --txc-schedule-layernorm | FileCheck %s

// Post-norm add & norm: the sum feeds only the norm, so both become one
// row-wise kernel.
// CHECK-LABEL: func @post_norm
// CHECK: %[[Y:.*]] = txc.add_layer_norm %arg0, %arg1, %{{.*}}, %{{.*}} {eps = 1.000000e-05 : f64, vector_width = 16 : i64}
// CHECK-NOT: txc.add
// CHECK: return %[[Y]]
func @post_norm(%x: tensor<?x?x8xf32>, %h: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %g = txc.weight "n.weight" : tensor<8xf32>
  %b = txc.weight "n.bias" : tensor<8xf32>
  %s = txc.add %x, %h : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %y = txc.layer_norm %s, %g, %b {eps = 1.0e-5 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// Pre-norm: the sum is the residual stream, used again; it stays.
// CHECK-LABEL: func @pre_norm
// CHECK: %[[S:.*]] = txc.add %arg0, %arg1
// CHECK: txc.layer_norm %[[S]]
// CHECK-NOT: txc.add_layer_norm
func @pre_norm(%x: tensor<?x?x8xf32>, %h: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %g = txc.weight "n.weight" : tensor<8xf32>
  %b = txc.weight "n.bias" : tensor<8xf32>
  %s = txc.add %x, %h : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %y = txc.layer_norm %s, %g, %b {eps = 1.0e-5 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %y, %s : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}
