#!/bin/sh
# The serving key: s + 12 hex of a hash of what the serving image (model_serving/Dockerfile) is
# built from: the model version named by artifacts/CURRENT and every file the image copies.
# cloudbuild.yaml tags the image with it (persona-model:<key>, pushed only when the tag is new)
# and names deployments persona-<sha>-<key>, so a build that changes none of it pushes and
# deploys nothing. POSIX sh: it runs in the docker, terraform (alpine) and gcloud images.
set -eu
cd "$(dirname "$0")/.."
files="model_serving/artifacts/CURRENT model_serving/Dockerfile
  model_serving/Dockerfile.dockerignore model_serving/requirements.txt
  model_serving/constraints-model.txt model_serving/__init__.py model_serving/artifact.py
  model_serving/features.py model_serving/predictor.py model_serving/server.py
  common/__init__.py common/text.py"
for f in $files; do
  [ -f "$f" ] || { echo "serving key: $f is missing (train a model first?)" >&2; exit 1; }
done
# shellcheck disable=SC2086 # $files is a list of paths without spaces
printf 's%s\n' "$(cat $files | sha256sum | cut -c1-12)"
