{{/* Labels on every object: manifests/ sets the first two (kustomize labels); Helm's own follow. */}}
{{- define "stagewall.labels" -}}
app.kubernetes.io/name: stagewall
app.kubernetes.io/part-of: stagewall
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The namespaces stagewall never judges: kube-system and the release namespace always, whatever the values say. */}}
{{- define "stagewall.exemptNamespaces" -}}
{{- concat (list "kube-system") .Values.exemptNamespaces (list .Release.Namespace) | uniq | toJson -}}
{{- end -}}

{{- define "stagewall.serviceAccountUser" -}}
system:serviceaccount:{{ .Release.Namespace }}:stagewall
{{- end -}}

{{/* Every webhook but namespace-labels: pipeline namespaces only, never an exempt one. */}}
{{- define "stagewall.namespaceSelector" -}}
namespaceSelector:
  matchExpressions:
    - {key: {{ .Values.labels.pipeline | quote }}, operator: Exists}
    - {key: kubernetes.io/metadata.name, operator: NotIn, values: {{ include "stagewall.exemptNamespaces" . }}}
{{- end -}}

{{/* Managed certificates: removed by stagewall in the patch that writes caBundle; until then the
     webhook refuses with this message (failurePolicy Fail) instead of an x509 error or an unjudged
     admission. cert-manager mode has no guard: nobody would remove it. */}}
{{- define "stagewall.startingGuard" -}}
# Removed by stagewall in the patch that writes caBundle; until then, refuses with this message
# (failurePolicy Fail) instead of an x509 error or an unjudged admission. See docs/install.md.
- name: stagewall-starting
  expression: "int('stagewall is starting: its CA is not in this webhook yet, retry in a few seconds: ' + request.operation) == 0"
{{- end -}}

{{- define "stagewall.clientConfig" -}}
clientConfig:
  service: {name: stagewall, namespace: {{ .root.Release.Namespace }}, path: {{ .path }}, port: 443}
{{- end -}}

{{- define "stagewall.webhookAnnotations" -}}
annotations:
  cert-manager.io/inject-ca-from: {{ .Release.Namespace }}/stagewall-serving
{{- end -}}

{{/* serve's --shutdown-timeout default (src/defaults.ts DEFAULT_SHUTDOWN_TIMEOUT_MS). */}}
{{- define "stagewall.shutdownTimeoutMs" -}}
{{- if or (eq (toString .Values.shutdownTimeoutMs) "") (eq (toString .Values.shutdownTimeoutMs) "<nil>") -}}
20000
{{- else -}}
{{ int .Values.shutdownTimeoutMs }}
{{- end -}}
{{- end -}}

{{/* A list of namespace names as a CEL list body: 'a', 'b' (names are DNS labels: no quotes to escape). */}}
{{- define "stagewall.celList" -}}
{{- $quoted := list -}}
{{- range . -}}{{- $quoted = append $quoted (printf "'%s'" .) -}}{{- end -}}
{{- join ", " $quoted -}}
{{- end -}}
