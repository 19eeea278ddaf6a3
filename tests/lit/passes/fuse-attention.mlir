// RUN: txc-opt %s -split-input-file --txc-fuse-attention | FileCheck %s

// Encoder self-attention: scale, padding mask, softmax and both matmuls
// become one op that takes the lengths.
// CHECK-LABEL: func @encoder_self_attention
// CHECK-SAME: (%[[Q:.*]]: tensor<?x2x?x4xf32>, %[[K:.*]]: tensor<?x2x?x4xf32>, %[[V:.*]]: tensor<?x2x?x4xf32>, %[[LEN:.*]]: tensor<?xi32>)
// CHECK-NEXT: %[[O:.*]] = txc.attention %[[Q]], %[[K]], %[[V]] lengths(%[[LEN]] : tensor<?xi32>) {block_keys = 32 : i64, decode = false, scale = 5.000000e-01 : f64}
// CHECK-NEXT: return %[[O]]
func @encoder_self_attention(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>, %len: tensor<?xi32>) -> tensor<?x2x?x4xf32> {
  %s = txc.matmul %q, %k {transpose_b = true} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  %sc = txc.scale %s {factor = 0.5 : f64} : (tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %m = txc.padding_mask %sc, %len : (tensor<?x2x?x?xf32>, tensor<?xi32>) -> tensor<?x2x?x?xf32>
  %p = txc.softmax %m : (tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %o = txc.matmul %p, %v : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// The decoder step's self-attention over the KV cache: a causal mask with
// the cache length as offset, marked for the one-query schedule.
// CHECK-LABEL: func @decode_step
// CHECK: txc.attention %{{.*}}, %{{.*}}, %{{.*}} offset(%arg3) {block_keys = 32 : i64, decode = true, scale = 5.000000e-01 : f64}
// CHECK-NOT: txc.softmax
func @decode_step(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>, %step: index) -> tensor<?x2x?x4xf32> {
  %s = txc.matmul %q, %k {transpose_b = true} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  %sc = txc.scale %s {factor = 0.5 : f64} : (tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %m = txc.causal_mask %sc, %step : (tensor<?x2x?x?xf32>, index) -> tensor<?x2x?x?xf32>
  %p = txc.softmax %m : (tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %o = txc.matmul %p, %v : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// Scores used twice are not fused: the kernel would not write them.
// CHECK-LABEL: func @scores_escape
// CHECK: txc.softmax
// CHECK-NOT: txc.attention
func @scores_escape(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>) -> (tensor<?x2x?x4xf32>, tensor<?x2x?x?xf32>) {
  %s = txc.matmul %q, %k {transpose_b = true} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  %sc = txc.scale %s {factor = 0.5 : f64} : (tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %p = txc.softmax %sc : (tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %o = txc.matmul %p, %v : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %o, %p : tensor<?x2x?x4xf32>, tensor<?x2x?x?xf32>
}

// -----

// QK^T without the transpose is not attention.
// CHECK-LABEL: func @not_attention
// CHECK-NOT: txc.attention
func @not_attention(%q: tensor<?x2x4x4xf32>, %k: tensor<?x2x4x4xf32>, %v: tensor<?x2x4x4xf32>) -> tensor<?x2x4x4xf32> {
  %s = txc.matmul %q, %k : (tensor<?x2x4x4xf32>, tensor<?x2x4x4xf32>) -> tensor<?x2x4x4xf32>
  %sc = txc.scale %s {factor = 0.5 : f64} : (tensor<?x2x4x4xf32>) -> tensor<?x2x4x4xf32>
  %p = txc.softmax %sc : (tensor<?x2x4x4xf32>) -> tensor<?x2x4x4xf32>
  %o = txc.matmul %p, %v : (tensor<?x2x4x4xf32>, tensor<?x2x4x4xf32>) -> tensor<?x2x4x4xf32>
  return %o : tensor<?x2x4x4xf32>
}

// -----

// Cross-attention over K/V kept once per sentence, read for each row by its
// sentence: the reads fold into key_rows, so the kernel reads the
// sentence's K/V where they are and no per-row copy is made.
// CHECK-LABEL: func @cross_attention_by_sentence
// CHECK-SAME: (%[[Q:.*]]: tensor<?x2x?x4xf32>, %[[K:.*]]: tensor<?x2x?x4xf32>, %[[V:.*]]: tensor<?x2x?x4xf32>, %[[LEN:.*]]: tensor<?xi32>, %[[ROWS:.*]]: tensor<?xi32>)
// CHECK-NEXT: %[[O:.*]] = txc.attention %[[Q]], %[[K]], %[[V]] lengths(%[[LEN]] : tensor<?xi32>) key_rows(%[[ROWS]] : tensor<?xi32>) {block_keys = 32 : i64, decode = false, scale = 5.000000e-01 : f64}
// CHECK-NEXT: return %[[O]]
func @cross_attention_by_sentence(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>, %len: tensor<?xi32>, %rows: tensor<?xi32>) -> tensor<?x2x?x4xf32> {
  %kr = txc.kv_cache_read %k, %rows : (tensor<?x2x?x4xf32>, tensor<?xi32>) -> tensor<?x2x?x4xf32>
  %vr = txc.kv_cache_read %v, %rows : (tensor<?x2x?x4xf32>, tensor<?xi32>) -> tensor<?x2x?x4xf32>
  %s = txc.matmul %q, %kr {transpose_b = true} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  %sc = txc.scale %s {factor = 0.5 : f64} : (tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %m = txc.padding_mask %sc, %len : (tensor<?x2x?x?xf32>, tensor<?xi32>) -> tensor<?x2x?x?xf32>
  %p = txc.softmax %m : (tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %o = txc.matmul %p, %vr : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// K and V read by different rows cannot share one key_rows: the reads stay.
// CHECK-LABEL: func @reads_by_different_rows
// CHECK-DAG: %[[KR:.*]] = txc.kv_cache_read %arg1, %arg3
// CHECK-DAG: %[[VR:.*]] = txc.kv_cache_read %arg2, %arg4
// CHECK: txc.attention %arg0, %[[KR]], %[[VR]] {block_keys
func @reads_by_different_rows(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>, %v: tensor<?x2x?x4xf32>, %krows: tensor<?xi32>, %vrows: tensor<?xi32>) -> tensor<?x2x?x4xf32> {
  %kr = txc.kv_cache_read %k, %krows : (tensor<?x2x?x4xf32>, tensor<?xi32>) -> tensor<?x2x?x4xf32>
  %vr = txc.kv_cache_read %v, %vrows : (tensor<?x2x?x4xf32>, tensor<?xi32>) -> tensor<?x2x?x4xf32>
  %s = txc.matmul %q, %kr {transpose_b = true} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  %sc = txc.scale %s {factor = 0.5 : f64} : (tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %p = txc.softmax %sc : (tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %o = txc.matmul %p, %vr : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}
