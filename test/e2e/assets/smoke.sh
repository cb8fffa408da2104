#!/usr/bin/env bash
# Smoke test of the end-to-end assets: starts etcd and kube-apiserver on
# loopback exactly as NOTES.md describes, checks kubectl against it (token,
# client certificate, CA verification), registers a validating webhook served
# on https://127.0.0.1 and checks the apiserver calls it, then stops both.
#
# Usage: test/e2e/assets/smoke.sh [ASSET_DIR]
#   ASSET_DIR defaults to the output of build.sh (which builds if needed).
#   STAGEWALL_SMOKE_KEEP=1 keeps the temp dir (certs, logs, data) afterwards.
# Needs: openssl, curl, node (for the webhook server).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf '[smoke %s] %s\n' "$(date -u +%H:%M:%S.%3N)" "$*" >&2; }
die() {
  log "FAILED: $*"
  for f in "${work:-/nonexistent}"/*.log; do
    [[ -f "$f" ]] || continue
    log "---- last lines of $f"
    tail -n 40 "$f" >&2
  done
  exit 1
}
ms() { date +%s%3N; }

for tool in openssl curl node; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

assets=${1:-$("$here/build.sh")}
for b in etcd kube-apiserver kubectl; do
  [[ -x "$assets/$b" ]] || die "$assets/$b is missing or not executable"
done
log "assets: $assets"
etcd_says=$("$assets/etcd" --version 2>&1) || true # no pipe into head: SIGPIPE under pipefail
printf '%s\n' "${etcd_says%%$'\n'*}" >&2
"$assets/kube-apiserver" --version >&2

work=$(mktemp -d "${TMPDIR:-/tmp}/stagewall-smoke.XXXXXX")
etcd_pid='' apiserver_pid='' webhook_pid=''
# stop_pid PID NAME: SIGTERM and wait 10 s; then a second SIGTERM (which makes
# kube-apiserver exit at once, e.g. when its graceful shutdown hangs because
# etcd is gone) and wait 5 s; then SIGKILL.
stop_pid() {
  local pid=$1 name=$2 i start
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  start=$(ms)
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    if ((i == 100)); then
      log "$name still running 10s after SIGTERM; sending SIGTERM again"
      kill -TERM "$pid" 2>/dev/null || true
    fi
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop after two SIGTERMs; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  log "$name stopped in $(($(ms) - start)) ms"
}
cleanup() {
  stop_pid "$webhook_pid" webhook
  stop_pid "$apiserver_pid" kube-apiserver
  stop_pid "$etcd_pid" etcd
  if [[ "${STAGEWALL_SMOKE_KEEP:-0}" == 1 ]]; then
    log "kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# A TCP port on 127.0.0.1 that nothing listens on (racy, but fine for a smoke
# test; the TypeScript harness can bind port 0 itself and pass the number on).
free_port() {
  local p i
  for ((i = 0; i < 100; i++)); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  die "no free port found"
}

# wait_for NAME SECONDS COMMAND...: polls COMMAND every 100 ms.
wait_for() {
  local name=$1 secs=$2 i
  shift 2
  for ((i = 0; i < secs * 10; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  die "$name not ready after ${secs}s"
}

# ---------------------------------------------------------------- certificates
t0=$(ms)
cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
  -subj "/CN=stagewall-e2e-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
issue() { # issue NAME SUBJECT EXTENSIONS...: NAME.key/NAME.crt signed by ca
  local name=$1 subj=$2
  shift 2
  openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subj" 2>/dev/null
  printf '%s\n' "$@" >"$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile "$name.ext" -out "$name.crt" 2>/dev/null
}
issue apiserver "/CN=kube-apiserver" "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth"
issue webhook "/CN=stagewall-webhook" "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth"
issue admin "/O=system:masters/CN=stagewall-admin" \
  "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=clientAuth"
# Service-account token signing key pair.
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
# Static bearer token: token,user,uid,"group1,group2"
token=$(openssl rand -hex 24)
printf '%s,stagewall-admin,stagewall-admin,"system:masters"\n' "$token" >tokens.csv
log "certificates and keys generated in $(($(ms) - t0)) ms"

# ---------------------------------------------------------------- etcd
etcd_port=$(free_port)
etcd_peer_port=$(free_port)
t0=$(ms)
"$assets/etcd" \
  --name=e2e \
  --data-dir="$work/etcd-data" \
  --listen-client-urls="http://127.0.0.1:$etcd_port" \
  --advertise-client-urls="http://127.0.0.1:$etcd_port" \
  --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" \
  --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster="e2e=http://127.0.0.1:$etcd_peer_port" \
  --unsafe-no-fsync \
  --log-level=warn \
  >"$work/etcd.log" 2>&1 &
etcd_pid=$!
wait_for etcd 30 curl -fsS "http://127.0.0.1:$etcd_port/health"
log "etcd ready on 127.0.0.1:$etcd_port in $(($(ms) - t0)) ms"

# ---------------------------------------------------------------- kube-apiserver
api_port=$(free_port)
server="https://127.0.0.1:$api_port"
t0=$(ms)
"$assets/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$etcd_port" \
  --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 \
  --secure-port="$api_port" \
  --tls-cert-file="$work/apiserver.crt" \
  --tls-private-key-file="$work/apiserver.key" \
  --client-ca-file="$work/ca.crt" \
  --token-auth-file="$work/tokens.csv" \
  --authorization-mode=RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$work/sa.pub" \
  --service-account-signing-key-file="$work/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --allow-privileged=true \
  --endpoint-reconciler-type=none \
  >"$work/kube-apiserver.log" 2>&1 &
apiserver_pid=$!
apiserver_alive() { kill -0 "$apiserver_pid" 2>/dev/null || die "kube-apiserver exited"; }
apiserver_ready() { apiserver_alive && curl -fsS --cacert "$work/ca.crt" "$server/readyz"; }
wait_for kube-apiserver 120 apiserver_ready
log "kube-apiserver ready on $server in $(($(ms) - t0)) ms (from start to /readyz ok)"

# ---------------------------------------------------------------- kubectl
k() { "$assets/kubectl" --server="$server" --token="$token" --insecure-skip-tls-verify "$@"; }
t0=$(ms)
k get ns >&2 || die "kubectl get ns (token, insecure) failed"
k create ns smoke >&2 || die "kubectl create ns smoke failed"
log "kubectl get ns + create ns in $(($(ms) - t0)) ms"
# Same with proper TLS verification, and with the client certificate.
"$assets/kubectl" --server="$server" --certificate-authority="$work/ca.crt" --token="$token" \
  get ns smoke -o name >&2 || die "kubectl with --certificate-authority failed"
"$assets/kubectl" --server="$server" --certificate-authority="$work/ca.crt" \
  --client-certificate="$work/admin.crt" --client-key="$work/admin.key" \
  auth can-i '*' '*' --all-namespaces >&2 || die "client-certificate admin is not cluster-admin"
# A kubeconfig, as the harness may want to write one.
cat >"$work/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: $server
    certificate-authority: $work/ca.crt
users:
- name: admin
  user:
    token: $token
contexts:
- name: e2e
  context: {cluster: e2e, user: admin}
current-context: e2e
EOF
"$assets/kubectl" --kubeconfig="$work/kubeconfig" get --raw /version >&2 || die "kubectl --kubeconfig failed"
echo >&2

# ---------------------------------------------------------------- URL webhook on 127.0.0.1
# A tiny HTTPS admission webhook in node: denies ConfigMaps named "denied".
cat >"$work/webhook.js" <<'EOF'
const https = require('https');
const fs = require('fs');
const [key, cert, portFile] = process.argv.slice(2);
let calls = 0;
const server = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    const review = JSON.parse(body);
    const name = review.request.name || (review.request.object && review.request.object.metadata.name);
    const deny = name === 'denied';
    calls++;
    console.log(`call ${calls}: ${req.method} ${req.url} ${review.request.operation} ${review.request.resource.resource} ${review.request.namespace}/${name} -> ${deny ? 'deny' : 'allow'}`);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: deny
        ? { uid: review.request.uid, allowed: false, status: { code: 403, message: 'stagewall smoke webhook says no' } }
        : { uid: review.request.uid, allowed: true },
    }));
  });
});
server.listen(0, '127.0.0.1', () => fs.writeFileSync(portFile, String(server.address().port)));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
EOF
node "$work/webhook.js" "$work/webhook.key" "$work/webhook.crt" "$work/webhook.port" >"$work/webhook.log" 2>&1 &
webhook_pid=$!
wait_for webhook 10 test -s "$work/webhook.port"
webhook_port=$(cat "$work/webhook.port")
cat >"$work/webhook-config.yaml" <<EOF
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: stagewall-smoke
webhooks:
- name: smoke.stagewall.test
  clientConfig:
    url: https://127.0.0.1:$webhook_port/validate
    caBundle: $(base64 -w0 <"$work/ca.crt")
  rules:
  - operations: ["CREATE"]
    apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["configmaps"]
  namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: smoke
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: ["v1"]
  timeoutSeconds: 5
EOF
k apply -f "$work/webhook-config.yaml" >&2 || die "cannot create the ValidatingWebhookConfiguration"
# The apiserver picks up new webhook configurations asynchronously (informer):
# poll until the webhook is in effect.
t0=$(ms)
denied=
for ((i = 0; i < 100; i++)); do
  if out=$(k -n smoke create configmap denied 2>&1); then
    k -n smoke delete configmap denied >/dev/null 2>&1 || true
    sleep 0.1
    continue
  fi
  if grep -q 'stagewall smoke webhook says no' <<<"$out"; then
    denied=$out
    break
  fi
  die "unexpected error creating configmap: $out"
done
[[ -n "$denied" ]] || die "the webhook never denied the configmap"
log "webhook in effect $(($(ms) - t0)) ms after creating its configuration; apiserver said: $denied"
k -n smoke create configmap allowed >&2 || die "the webhook denied an allowed configmap"
log "webhook server log:"
sed 's/^/    /' "$work/webhook.log" >&2
echo >&2

# ---------------------------------------------------------------- stop
stop_pid "$webhook_pid" webhook
webhook_pid=
stop_pid "$apiserver_pid" kube-apiserver
apiserver_pid=
stop_pid "$etcd_pid" etcd
etcd_pid=
log "SMOKE OK"
