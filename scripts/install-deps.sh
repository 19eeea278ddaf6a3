#!/usr/bin/env bash
# Installs every system package txc needs to build, test and benchmark, from
# Debian 12's archive. Safe to run again: apt-get skips what is present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build git pkg-config
  llvm-14-dev llvm-14-tools libmlir-14-dev mlir-14-tools
  libhalide14-0-dev
  libsentencepiece-dev sentencepiece
  libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libdnnl-dev ocl-icd-opencl-dev opencl-c-headers  # oneDNN's CMake config needs OpenCL
  libzstd-dev zlib1g-dev libedit-dev libxml2-dev libtinfo-dev libcurl4-openssl-dev
  python3 python3-numpy python3-torch libopenblas0-openmp
)

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${packages[@]}"
