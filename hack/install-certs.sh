#!/usr/bin/env bash
# Puts stagewall's certificates into the cluster: the serving certificate into the Secret
# stagewall-tls, and the CA into the caBundle of every stagewall webhook.
#
# Usage: hack/install-certs.sh [CERT_DIR]   (default: certs; make them with `stagewall certs`)
#
# Rotation without an outage: the new CA is put in the caBundle *next to* the CA already there,
# so the API server trusts both the old serving certificate (still served until the pods reload
# the Secret, within seconds) and the new one. Run it again with PRUNE=1 once the new certificate
# is served, to drop the old CA.
set -euo pipefail
dir=${1:-certs}
ns=${STAGEWALL_NAMESPACE:-stagewall-system}
for f in ca.crt tls.crt tls.key; do
  [ -s "$dir/$f" ] || { echo "missing $dir/$f: run 'node bin/stagewall.js certs --out $dir' first" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n "$ns" create secret tls stagewall-tls --cert="$dir/tls.crt" --key="$dir/tls.key" \
  --dry-run=client -o yaml | kubectl apply -f -

for kind in validatingwebhookconfiguration mutatingwebhookconfiguration; do
  if ! kubectl get "$kind" stagewall >/dev/null 2>&1; then
    echo "no $kind/stagewall yet: run 'kubectl apply -k manifests/' first" >&2
    exit 2
  fi
  # The bundle: the new CA first, then (unless PRUNE=1) the CA in use now, if it differs.
  # PEM files may lack a final newline: add one, or the bundle glues two certificates together.
  printf '%s\n' "$(cat "$dir/ca.crt")" > "$work/bundle.pem"
  current=$(kubectl get "$kind" stagewall -o jsonpath='{.webhooks[0].clientConfig.caBundle}')
  if [ "${PRUNE:-0}" != 1 ] && [ -n "$current" ]; then
    printf '%s' "$current" | base64 -d > "$work/current.pem"
    # Keep only the first certificate of the current bundle: the one that signs what is served now.
    awk '/BEGIN CERTIFICATE/{n++} n==1' "$work/current.pem" > "$work/previous.pem"
    if [ -s "$work/previous.pem" ] && [ "$(cat "$work/previous.pem")" != "$(cat "$dir/ca.crt")" ]; then
      printf '%s\n' "$(cat "$work/previous.pem")" >> "$work/bundle.pem"
    fi
  fi
  ca=$(base64 < "$work/bundle.pem" | tr -d '\n')
  count=$(kubectl get "$kind" stagewall -o jsonpath='{range .webhooks[*]}{.name}{"\n"}{end}' | grep -c .)
  # The stagewall-starting matchCondition (see manifests/webhooks.yaml) goes in the same patch.
  guards=$(kubectl get "$kind" stagewall -o jsonpath='{range .webhooks[*]}{range .matchConditions[*]}{.name} {end}{"\n"}{end}')
  patch=$(for ((i = 0; i < count; i++)); do
    printf '{"op":"add","path":"/webhooks/%d/clientConfig/caBundle","value":"%s"},' "$i" "$ca"
    j=0
    for name in $(sed -n "$((i + 1))p" <<<"$guards"); do
      if [ "$name" = stagewall-starting ]; then
        printf '{"op":"test","path":"/webhooks/%d/matchConditions/%d/name","value":"stagewall-starting"},{"op":"remove","path":"/webhooks/%d/matchConditions/%d"},' "$i" "$j" "$i" "$j"
      fi
      j=$((j + 1))
    done
  done)
  kubectl patch "$kind" stagewall --type=json -p "[${patch%,}]"
done
echo "certificates installed; stagewall reloads a changed Secret without a restart"
