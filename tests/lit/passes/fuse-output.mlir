// RUN: txc-opt %s -split-input-file --txc-fuse-output | FileCheck %s

// A decoder step (one layer of cache, the output projection only) gains an
// argmax form for greedy search and a log-softmax + top-k form for beam
// search; @decode_step itself still returns the raw logits.
// CHECK-LABEL: func @decode_step(
// CHECK-SAME: -> (tensor<?x?x16xf32>, tensor<?x1x?x4xf32>)
// CHECK: %[[LOGITS:.*]] = txc.linear
// CHECK-NOT: txc.argmax
// CHECK: return %[[LOGITS]], %arg4
// CHECK-LABEL: func @decode_step_argmax(
// CHECK-SAME: %[[MASKED:[a-z0-9]+]]: index) -> (tensor<?x?xi32>, tensor<?x1x?x4xf32>)
// CHECK: %[[L1:.*]] = txc.linear
// CHECK: %[[IDS:.*]] = txc.argmax %[[L1]], %[[MASKED]] : (tensor<?x?x16xf32>, index) -> tensor<?x?xi32>
// CHECK: return %[[IDS]], %arg4
// CHECK-LABEL: func @decode_step_top_k(
// CHECK-SAME: %[[K:[a-z0-9]+]]: index, %[[MASKED2:[a-z0-9]+]]: index) -> (tensor<?x?x?x2xf32>, tensor<?x1x?x4xf32>)
// CHECK: %[[L2:.*]] = txc.linear
// CHECK: %[[RECORDS:.*]] = txc.log_softmax_top_k %[[L2]], %[[K]], %[[MASKED2]] : (tensor<?x?x16xf32>, index, index) -> tensor<?x?x?x2xf32>
// CHECK-NOT: txc.softmax
// CHECK: return %[[RECORDS]], %arg4
module {
  func @decode_step(%tokens: tensor<?x?xi32>, %step: index, %lengths: tensor<?xi32>, %origin: tensor<?xi32>, %cache: tensor<?x1x?x4xf32>) -> (tensor<?x?x16xf32>, tensor<?x1x?x4xf32>) {
    %table = txc.weight "decoder.embed_tokens.weight" : tensor<16x4xf32>
    %x = txc.embedding %table, %tokens {scale = 1.0 : f64} : (tensor<16x4xf32>, tensor<?x?xi32>) -> tensor<?x?x4xf32>
    %logits = txc.linear %x, %table : (tensor<?x?x4xf32>, tensor<16x4xf32>) -> tensor<?x?x16xf32>
    return %logits, %cache : tensor<?x?x16xf32>, tensor<?x1x?x4xf32>
  }
}

// -----

// Running the pass again adds nothing.
// CHECK-LABEL: func @decode_step(
// CHECK-LABEL: func @decode_step_argmax(
// CHECK-NOT: func @decode_step_argmax
// CHECK-LABEL: func @decode_step_top_k(
// CHECK-NOT: func @decode_step
module {
  func @decode_step(%tokens: tensor<?x?xi32>, %step: index, %lengths: tensor<?xi32>, %origin: tensor<?xi32>) -> tensor<?x?x16xf32> {
    %table = txc.weight "decoder.embed_tokens.weight" : tensor<16x4xf32>
    %x = txc.embedding %table, %tokens {scale = 1.0 : f64} : (tensor<16x4xf32>, tensor<?x?xi32>) -> tensor<?x?x4xf32>
    %logits = txc.linear %x, %table : (tensor<?x?x4xf32>, tensor<16x4xf32>) -> tensor<?x?x16xf32>
    return %logits : tensor<?x?x16xf32>
  }
  func @decode_step_argmax(%tokens: tensor<?x?xi32>, %step: index, %lengths: tensor<?xi32>, %origin: tensor<?xi32>, %masked: index) -> tensor<?x?xi32> {
    %table = txc.weight "decoder.embed_tokens.weight" : tensor<16x4xf32>
    %x = txc.embedding %table, %tokens {scale = 1.0 : f64} : (tensor<16x4xf32>, tensor<?x?xi32>) -> tensor<?x?x4xf32>
    %logits = txc.linear %x, %table : (tensor<?x?x4xf32>, tensor<16x4xf32>) -> tensor<?x?x16xf32>
    %ids = txc.argmax %logits, %masked : (tensor<?x?x16xf32>, index) -> tensor<?x?xi32>
    return %ids : tensor<?x?xi32>
  }
  func @decode_step_top_k(%tokens: tensor<?x?xi32>, %step: index, %lengths: tensor<?xi32>, %origin: tensor<?xi32>, %k: index, %masked: index) -> tensor<?x?x?x2xf32> {
    %table = txc.weight "decoder.embed_tokens.weight" : tensor<16x4xf32>
    %x = txc.embedding %table, %tokens {scale = 1.0 : f64} : (tensor<16x4xf32>, tensor<?x?xi32>) -> tensor<?x?x4xf32>
    %logits = txc.linear %x, %table : (tensor<?x?x4xf32>, tensor<16x4xf32>) -> tensor<?x?x16xf32>
    %records = txc.log_softmax_top_k %logits, %k, %masked : (tensor<?x?x16xf32>, index, index) -> tensor<?x?x?x2xf32>
    return %records : tensor<?x?x?x2xf32>
  }
}
