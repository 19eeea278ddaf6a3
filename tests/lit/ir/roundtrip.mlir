// RUN: txc-opt %s | txc-opt | FileCheck %s
// Every txc op parses, verifies, prints and parses again unchanged.

// CHECK-LABEL: func @embeddings
func @embeddings(%ids: tensor<?x?xi32>, %start: index) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  // CHECK: %[[T:.*]] = txc.weight "encoder.embed_tokens.weight" : tensor<16x8xf32>
  %table = txc.weight "encoder.embed_tokens.weight" : tensor<16x8xf32>
  // CHECK: %[[E:.*]] = txc.embedding %[[T]], %{{.*}} {scale = 2.8284271247461903 : f64} : (tensor<16x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  %e = txc.embedding %table, %ids {scale = 2.8284271247461903 : f64} : (tensor<16x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  // CHECK: txc.sinusoid_positions %[[E]], %{{.*}} {layout = "halves", offset = 2 : i64}
  %s = txc.sinusoid_positions %e, %start {layout = "halves", offset = 2 : i64} : (tensor<?x?x8xf32>, index) -> tensor<?x?x8xf32>
  %pt = txc.weight "encoder.embed_positions.weight" : tensor<34x8xf32>
  // CHECK: txc.learned_positions %[[E]], %{{.*}}, %{{.*}} {offset = 2 : i64}
  %l = txc.learned_positions %e, %pt, %start {offset = 2 : i64} : (tensor<?x?x8xf32>, tensor<34x8xf32>, index) -> tensor<?x?x8xf32>
  return %s, %l : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}

// CHECK-LABEL: func @attention
func @attention(%x: tensor<?x?x8xf32>, %len: tensor<?xi32>, %off: index) -> tensor<?x?x8xf32> {
  %w = txc.weight "q.weight" : tensor<8x8xf32>
  %b = txc.weight "q.bias" : tensor<8xf32>
  // CHECK: txc.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %p = txc.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  // CHECK: txc.linear %{{.*}}, %{{.*}} : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %nb = txc.linear %x, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  // CHECK: txc.split_heads %{{.*}} {heads = 2 : i64} : (tensor<?x?x8xf32>) -> tensor<?x2x?x4xf32>
  %q = txc.split_heads %p {heads = 2 : i64} : (tensor<?x?x8xf32>) -> tensor<?x2x?x4xf32>
  // CHECK: txc.matmul %{{.*}}, %{{.*}} {transpose_b = true}
  %s = txc.matmul %q, %q {transpose_b = true} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  // CHECK: txc.scale %{{.*}} {factor = 5.000000e-01 : f64}
  %sc = txc.scale %s {factor = 0.5 : f64} : (tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  // CHECK: txc.padding_mask
  %pm = txc.padding_mask %sc, %len : (tensor<?x2x?x?xf32>, tensor<?xi32>) -> tensor<?x2x?x?xf32>
  // CHECK: txc.causal_mask
  %cm = txc.causal_mask %pm, %off : (tensor<?x2x?x?xf32>, index) -> tensor<?x2x?x?xf32>
  // CHECK: txc.softmax
  %sm = txc.softmax %cm : (tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %o = txc.matmul %sm, %q : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  // CHECK: txc.merge_heads %{{.*}} : (tensor<?x2x?x4xf32>) -> tensor<?x?x8xf32>
  %m = txc.merge_heads %o : (tensor<?x2x?x4xf32>) -> tensor<?x?x8xf32>
  // CHECK: txc.add
  %a = txc.add %m, %x : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %g = txc.weight "ln.weight" : tensor<8xf32>
  %be = txc.weight "ln.bias" : tensor<8xf32>
  // CHECK: txc.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {eps = 1.000000e-05 : f64}
  %n = txc.layer_norm %a, %g, %be {eps = 1.0e-5 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %n : tensor<?x?x8xf32>
}

// CHECK-LABEL: func @activations
func @activations(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // CHECK: txc.relu
  // CHECK: txc.gelu
  // CHECK: txc.gelu_tanh
  // CHECK: txc.swish
  %0 = txc.relu %x : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %1 = txc.gelu %0 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %2 = txc.gelu_tanh %1 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %3 = txc.swish %2 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %3 : tensor<?x4xf32>
}

// CHECK-LABEL: func @kv_cache
func @kv_cache(%cache: tensor<?x2x?x4xf32>, %new: tensor<?x2x1x4xf32>, %origin: tensor<?xi32>) -> tensor<?x2x?x4xf32> {
  // CHECK: txc.kv_cache_read %{{.*}}, %{{.*}} : (tensor<?x2x?x4xf32>, tensor<?xi32>) -> tensor<?x2x?x4xf32>
  %r = txc.kv_cache_read %cache, %origin : (tensor<?x2x?x4xf32>, tensor<?xi32>) -> tensor<?x2x?x4xf32>
  // CHECK: txc.kv_cache_append %{{.*}}, %{{.*}} : (tensor<?x2x?x4xf32>, tensor<?x2x1x4xf32>) -> tensor<?x2x?x4xf32>
  %a = txc.kv_cache_append %r, %new : (tensor<?x2x?x4xf32>, tensor<?x2x1x4xf32>) -> tensor<?x2x?x4xf32>
  return %a : tensor<?x2x?x4xf32>
}

// CHECK-LABEL: func @packed_rows
func @packed_rows(%x: tensor<?x?x8xf32>, %lengths: tensor<?xi32>, %ids: tensor<?x?xi32>) -> tensor<?x?x8xf32> {
  // CHECK: txc.pack_rows %{{.*}}, %{{.*}} : (tensor<?x?x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  %p = txc.pack_rows %x, %lengths : (tensor<?x?x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  // CHECK: txc.unpack_rows %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x8xf32>, tensor<?xi32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  %u = txc.unpack_rows %p, %lengths, %ids : (tensor<?x8xf32>, tensor<?xi32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  return %u : tensor<?x?x8xf32>
}
