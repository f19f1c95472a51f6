#!/bin/sh
# One-shot job in the temporalio/admin-tools image (`temporal-create-namespace` in docker-compose.yml):
# waits until the Temporal frontend serves, creates the namespace the service uses, and registers the
# custom search attributes that make OCR tasks filterable in the Web UI. The API and the workers start
# only after it succeeds. Safe to repeat: existing namespaces and attributes are left as they are.
set -eu
: "${TEMPORAL_ADDRESS:?}"
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
RETENTION=${TEMPORAL_RETENTION:-7d}
# name:type. With SQL visibility each namespace has a fixed number of custom slots per type
# (Keyword 10, Text 3, Int 3 on postgres12), so keep this list short.
SEARCH_ATTRIBUTES="OcrStatus:Keyword OcrTaskType:Keyword OcrFileName:Text OcrPageCount:Int OcrModel:Keyword"

# Retries "$@" every 2 s for up to 2 minutes: the frontend answers before the namespace registry and
# the search-attribute cache have caught up with a change.
retry() {
  what=$1
  shift
  attempt=1
  until "$@"; do
    if [ "$attempt" -ge 60 ]; then
      echo "Gave up: $what (Temporal at $TEMPORAL_ADDRESS)" >&2
      return 1
    fi
    attempt=$((attempt + 1))
    sleep 2
  done
}

healthy() { temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; }
namespace_exists() { temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; }
ensure_namespace() {
  namespace_exists || temporal operator namespace create --address "$TEMPORAL_ADDRESS" \
    --namespace "$NAMESPACE" --retention "$RETENTION" --description "ocr tasks"
}
attribute_exists() {
  temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" | grep -qw "$1"
}
ensure_attribute() {
  attribute_exists "$1" || temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" \
    --namespace "$NAMESPACE" --name "$1" --type "$2"
}

retry "cluster health" healthy
retry "namespace $NAMESPACE" ensure_namespace
retry "namespace $NAMESPACE visible" namespace_exists
for attribute in $SEARCH_ATTRIBUTES; do
  retry "search attribute $attribute" ensure_attribute "${attribute%%:*}" "${attribute#*:}"
done
echo "Namespace $NAMESPACE is ready with search attributes: $SEARCH_ATTRIBUTES"
