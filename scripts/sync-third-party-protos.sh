#!/usr/bin/env bash
# Copies the third-party .proto files we generate code for out of the npm packages that ship them,
# into third_party/proto under their canonical import paths (reflection clients ask for files by
# these names). Versions are pinned by package.json; nothing here is edited by hand.
# Only third_party/proto is rewritten: third_party/vendor (committed protos that no npm package
# ships, such as buf/validate/validate.proto) is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
nm=node_modules
out=third_party/proto
rm -rf "$out"
mkdir -p "$out/grpc/health/v1" "$out/grpc/reflection/v1" "$out/grpc/reflection/v1alpha" "$out/google/rpc"
cp "$nm/grpc-health-check/proto/health/v1/health.proto" "$out/grpc/health/v1/health.proto"
cp "$nm/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto" "$out/grpc/reflection/v1/reflection.proto"
cp "$nm/@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto" "$out/grpc/reflection/v1alpha/reflection.proto"
for f in status error_details code; do
  cp "$nm/google-proto-files/google/rpc/$f.proto" "$out/google/rpc/$f.proto"
done
