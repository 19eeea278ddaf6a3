// RUN: txc-opt %s -split-input-file --txc-fuse-qkv | FileCheck %s

// Self-attention: Q, K and V of one input become one linear over the
// stacked weights and biases, then three slices.
// CHECK-LABEL: func @self_attention
// CHECK: %[[W:.*]] = txc.concat_weights ["l.self_attn.q_proj.weight", "l.self_attn.k_proj.weight", "l.self_attn.v_proj.weight"] : tensor<24x8xf32>
// CHECK: %[[B:.*]] = txc.concat_weights ["l.self_attn.q_proj.bias", "l.self_attn.k_proj.bias", "l.self_attn.v_proj.bias"] : tensor<24xf32>
// CHECK: %[[Y:.*]] = txc.linear %arg0, %[[W]], %[[B]] : (tensor<?x?x8xf32>, tensor<24x8xf32>, tensor<24xf32>) -> tensor<?x?x24xf32>
// CHECK: %[[SQ:.*]] = txc.slice %[[Y]] {offset = 0 : i64, size = 8 : i64}
// CHECK: %[[SK:.*]] = txc.slice %[[Y]] {offset = 8 : i64, size = 8 : i64}
// CHECK: %[[SV:.*]] = txc.slice %[[Y]] {offset = 16 : i64, size = 8 : i64}
// CHECK-NOT: txc.linear
// CHECK: return %[[SQ]], %[[SK]], %[[SV]]
func @self_attention(%x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %wq = txc.weight "l.self_attn.q_proj.weight" : tensor<8x8xf32>
  %bq = txc.weight "l.self_attn.q_proj.bias" : tensor<8xf32>
  %q = txc.linear %x, %wq, %bq : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %wk = txc.weight "l.self_attn.k_proj.weight" : tensor<8x8xf32>
  %bk = txc.weight "l.self_attn.k_proj.bias" : tensor<8xf32>
  %k = txc.linear %x, %wk, %bk : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %wv = txc.weight "l.self_attn.v_proj.weight" : tensor<8x8xf32>
  %bv = txc.weight "l.self_attn.v_proj.bias" : tensor<8xf32>
  %v = txc.linear %x, %wv, %bv : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %q, %k, %v : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// Cross-attention in @encode: K and V of the encoder output fuse; a Q of
// another input stays alone.
// CHECK-LABEL: func @cross_attention
// CHECK: txc.concat_weights ["l.encoder_attn.k_proj.weight", "l.encoder_attn.v_proj.weight"] : tensor<16x8xf32>
// CHECK: txc.linear %arg0, {{.*}} -> tensor<?x?x16xf32>
// CHECK: txc.slice {{.*}} {offset = 0 : i64, size = 8 : i64}
// CHECK: txc.slice {{.*}} {offset = 8 : i64, size = 8 : i64}
// CHECK: txc.linear %arg1, {{.*}} -> tensor<?x?x8xf32>
func @cross_attention(%memory: tensor<?x?x8xf32>, %h: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %wk = txc.weight "l.encoder_attn.k_proj.weight" : tensor<8x8xf32>
  %k = txc.linear %memory, %wk : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %wv = txc.weight "l.encoder_attn.v_proj.weight" : tensor<8x8xf32>
  %v = txc.linear %memory, %wv : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %wq = txc.weight "l.encoder_attn.q_proj.weight" : tensor<8x8xf32>
  %q = txc.linear %h, %wq : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  return %q, %k, %v : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// -----

// Projections of different layers never fuse.
// CHECK-LABEL: func @different_layers
// CHECK-NOT: txc.concat_weights
func @different_layers(%x: tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %w0 = txc.weight "a.self_attn.q_proj.weight" : tensor<8x8xf32>
  %q = txc.linear %x, %w0 : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %w1 = txc.weight "b.self_attn.k_proj.weight" : tensor<8x8xf32>
  %k = txc.linear %x, %w1 : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  return %q, %k : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}
