#!/usr/bin/env bash
# Puts stagewall's certificates into the cluster: the serving certificate into the Secret
# stagewall-tls, and the CA into the caBundle of every stagewall webhook.
# Usage: hack/install-certs.sh [CERT_DIR]   (default: certs; make them with `stagewall certs`)
set -euo pipefail
dir=${1:-certs}
ns=${STAGEWALL_NAMESPACE:-stagewall-system}
for f in ca.crt tls.crt tls.key; do
  [ -s "$dir/$f" ] || { echo "missing $dir/$f: run 'node bin/stagewall.js certs --out $dir' first" >&2; exit 2; }
done

kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n "$ns" create secret tls stagewall-tls --cert="$dir/tls.crt" --key="$dir/tls.key" \
  --dry-run=client -o yaml | kubectl apply -f -

ca=$(base64 < "$dir/ca.crt" | tr -d '\n')
for kind in validatingwebhookconfiguration mutatingwebhookconfiguration; do
  if ! kubectl get "$kind" stagewall >/dev/null 2>&1; then
    echo "no $kind/stagewall yet: run 'kubectl apply -k manifests/' first" >&2
    exit 2
  fi
  count=$(kubectl get "$kind" stagewall -o jsonpath='{range .webhooks[*]}{.name}{"\n"}{end}' | grep -c .)
  patch=$(for ((i = 0; i < count; i++)); do printf '{"op":"replace","path":"/webhooks/%d/clientConfig/caBundle","value":"%s"},' "$i" "$ca"; done)
  kubectl patch "$kind" stagewall --type=json -p "[${patch%,}]"
done
echo "certificates installed; stagewall reloads a changed Secret without a restart"
