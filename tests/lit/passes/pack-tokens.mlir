// RUN: txc-opt %s -split-input-file --txc-pack-tokens | FileCheck %s

// An encoder layer: rows are packed after the positions, the projections,
// add & norm and FFN run on [t, d], attention's heads and the results are
// unpacked to [b, s, d].
// CHECK-LABEL: func @encode
// CHECK: %[[POS:.*]] = txc.sinusoid_positions
// CHECK-NEXT: %[[X:.*]] = txc.pack_rows %[[POS]], %arg1 : (tensor<?x?x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
// CHECK: %[[QKV:.*]] = txc.linear %[[X]], %{{.*}}, %{{.*}} : (tensor<?x8xf32>, tensor<24x8xf32>, tensor<24xf32>) -> tensor<?x24xf32>
// CHECK-NEXT: %[[QKVB:.*]] = txc.unpack_rows %[[QKV]], %arg1, %arg0 : (tensor<?x24xf32>, tensor<?xi32>, tensor<?x?xi32>) -> tensor<?x?x24xf32>
// CHECK: txc.slice %[[QKVB]] {offset = 0 : i64, size = 8 : i64}
// CHECK: %[[A:.*]] = txc.attention
// CHECK-NEXT: %[[M:.*]] = txc.merge_heads %[[A]]
// CHECK-NEXT: %[[MP:.*]] = txc.pack_rows %[[M]], %arg1
// CHECK: %[[O:.*]] = txc.linear %[[MP]], {{.*}} -> tensor<?x8xf32>
// CHECK: %[[N:.*]] = txc.add_layer_norm %[[X]], %[[O]], {{.*}} -> tensor<?x8xf32>
// CHECK: %[[H:.*]] = txc.gemm %[[N]], {{.*}} -> tensor<?x16xf32>
// CHECK-NEXT: %[[F:.*]] = txc.gelu %[[H]] : (tensor<?x16xf32>) -> tensor<?x16xf32>
// CHECK: %[[Y:.*]] = txc.add_layer_norm %[[N]], {{.*}} -> tensor<?x8xf32>
// CHECK-NEXT: %[[YB:.*]] = txc.unpack_rows %[[Y]], %arg1, %arg0 : (tensor<?x8xf32>, tensor<?xi32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
// CHECK: return %[[YB]]
func @encode(%ids: tensor<?x?xi32>, %lengths: tensor<?xi32>) -> tensor<?x?x8xf32> {
  %c0 = arith.constant 0 : index
  %table = txc.weight "embed.weight" : tensor<32x8xf32>
  %e = txc.embedding %table, %ids {scale = 1.0 : f64} : (tensor<32x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  %x = txc.sinusoid_positions %e, %c0 {layout = "interleaved", offset = 0 : i64} : (tensor<?x?x8xf32>, index) -> tensor<?x?x8xf32>
  %wqkv = txc.concat_weights ["q.weight", "k.weight", "v.weight"] : tensor<24x8xf32>
  %bqkv = txc.concat_weights ["q.bias", "k.bias", "v.bias"] : tensor<24xf32>
  %qkv = txc.linear %x, %wqkv, %bqkv : (tensor<?x?x8xf32>, tensor<24x8xf32>, tensor<24xf32>) -> tensor<?x?x24xf32>
  %q = txc.slice %qkv {offset = 0 : i64, size = 8 : i64} : (tensor<?x?x24xf32>) -> tensor<?x?x8xf32>
  %k = txc.slice %qkv {offset = 8 : i64, size = 8 : i64} : (tensor<?x?x24xf32>) -> tensor<?x?x8xf32>
  %v = txc.slice %qkv {offset = 16 : i64, size = 8 : i64} : (tensor<?x?x24xf32>) -> tensor<?x?x8xf32>
  %qh = txc.split_heads %q {heads = 2 : i64} : (tensor<?x?x8xf32>) -> tensor<?x2x?x4xf32>
  %kh = txc.split_heads %k {heads = 2 : i64} : (tensor<?x?x8xf32>) -> tensor<?x2x?x4xf32>
  %vh = txc.split_heads %v {heads = 2 : i64} : (tensor<?x?x8xf32>) -> tensor<?x2x?x4xf32>
  %a = txc.attention %qh, %kh, %vh lengths(%lengths : tensor<?xi32>) {scale = 0.5 : f64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %m = txc.merge_heads %a : (tensor<?x2x?x4xf32>) -> tensor<?x?x8xf32>
  %wo = txc.weight "o.weight" : tensor<8x8xf32>
  %o = txc.linear %m, %wo : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %g = txc.weight "n.weight" : tensor<8xf32>
  %b = txc.weight "n.bias" : tensor<8xf32>
  %n = txc.add_layer_norm %x, %o, %g, %b {eps = 1.0e-5 : f64} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %p1 = txc.packed_weight "fc1.weight" {rows = 16 : i64, panel_width = 16 : i64} : tensor<1x8x16xf32>
  %h = txc.gemm %n, %p1 {out_features = 16 : i64, activation = "none", tile_rows = 8 : i64, panels_per_task = 1 : i64} : (tensor<?x?x8xf32>, tensor<1x8x16xf32>) -> tensor<?x?x16xf32>
  %f = txc.gelu %h : (tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  %w2 = txc.weight "fc2.weight" : tensor<8x16xf32>
  %r = txc.linear %f, %w2 : (tensor<?x?x16xf32>, tensor<8x16xf32>) -> tensor<?x?x8xf32>
  %y = txc.add_layer_norm %n, %r, %g, %b {eps = 1.0e-5 : f64} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// Unfused attention mixes positions through matmuls the pass does not
// reason about: the function is left as it is.
// CHECK-LABEL: func @encode
// CHECK-NOT: txc.pack_rows
// CHECK: txc.linear %{{.*}} : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
// CHECK-NOT: txc.unpack_rows
func @encode(%ids: tensor<?x?xi32>, %lengths: tensor<?xi32>) -> tensor<?x2x?x?xf32> {
  %table = txc.weight "embed.weight" : tensor<32x8xf32>
  %e = txc.embedding %table, %ids {scale = 1.0 : f64} : (tensor<32x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  %w = txc.weight "q.weight" : tensor<8x8xf32>
  %x = txc.linear %e, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %h = txc.split_heads %x {heads = 2 : i64} : (tensor<?x?x8xf32>) -> tensor<?x2x?x4xf32>
  %s = txc.matmul %h, %h {transpose_b = true} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  return %s : tensor<?x2x?x?xf32>
}

// -----

// Attention masked by other lengths than the source's: unchanged.
// CHECK-LABEL: func @encode
// CHECK-NOT: txc.pack_rows
func @encode(%ids: tensor<?x?xi32>, %lengths: tensor<?xi32>, %other: tensor<?xi32>) -> tensor<?x2x?x4xf32> {
  %table = txc.weight "embed.weight" : tensor<32x8xf32>
  %e = txc.embedding %table, %ids {scale = 1.0 : f64} : (tensor<32x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  %w = txc.weight "q.weight" : tensor<8x8xf32>
  %x = txc.linear %e, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %h = txc.split_heads %x {heads = 2 : i64} : (tensor<?x?x8xf32>) -> tensor<?x2x?x4xf32>
  %a = txc.attention %h, %h, %h lengths(%other : tensor<?xi32>) {scale = 0.5 : f64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %a : tensor<?x2x?x4xf32>
}

// -----

// Only @encode's rows are the padded source batch; a decoder step's rows
// are hypotheses, with no padding.
// CHECK-LABEL: func @decode_step
// CHECK-NOT: txc.pack_rows
func @decode_step(%ids: tensor<?x?xi32>, %lengths: tensor<?xi32>) -> tensor<?x?x8xf32> {
  %table = txc.weight "embed.weight" : tensor<32x8xf32>
  %e = txc.embedding %table, %ids {scale = 1.0 : f64} : (tensor<32x8xf32>, tensor<?x?xi32>) -> tensor<?x?x8xf32>
  %w = txc.weight "q.weight" : tensor<8x8xf32>
  %x = txc.linear %e, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  return %x : tensor<?x?x8xf32>
}
