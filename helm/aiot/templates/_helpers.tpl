{{/*
Shared helpers of the aiot chart: names, labels, the image, the AIOT_* settings environment and
the broker-security wiring used by the worker, the provisioning Job and the edge gateway.
*/}}

{{/* Chart name, overridable with nameOverride. */}}
{{- define "aiot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name prefix of every object: <release>-<chart> unless the release already says it. */}}
{{- define "aiot.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* chart-version for the helm.sh/chart label. */}}
{{- define "aiot.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels. Call with (dict "ctx" $ "component" "worker"); they never change over the life
of a release, so they are safe in immutable selectors.
*/}}
{{- define "aiot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "aiot.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end }}

{{/* Full recommended label set. Call with (dict "ctx" $ "component" "worker"). */}}
{{- define "aiot.labels" -}}
helm.sh/chart: {{ include "aiot.chart" .ctx }}
{{ include "aiot.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: {{ .ctx.Values.partOf }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end }}

{{/* Container image reference: repository:tag, or repository@digest when a digest is set. */}}
{{- define "aiot.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Name of the worker's ServiceAccount. */}}
{{- define "aiot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "aiot.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Render a scalar as a plain string: whole floats without an exponent (6.048e+08 -> 604800000). */}}
{{- define "aiot.str" -}}
{{- if kindIs "float64" . }}
{{- if eq (float64 (int64 .)) . }}{{ int64 . }}{{ else }}{{ . }}{{ end }}
{{- else }}
{{- . }}
{{- end }}
{{- end }}

{{/* Faust broker URL from kafka.brokers: kafka://a:9092;kafka://b:9092 (Faust's list form). */}}
{{- define "aiot.brokerUrl" -}}
{{- $urls := list }}
{{- range (splitList "," .Values.kafka.brokers) }}
{{- $host := trim . }}
{{- if $host }}
{{- $urls = append $urls (printf "kafka://%s" (trimPrefix "kafka://" $host)) }}
{{- end }}
{{- end }}
{{- join ";" $urls }}
{{- end }}

{{/* Bootstrap servers without scheme, comma separated (KEDA). */}}
{{- define "aiot.bootstrapServers" -}}
{{- $hosts := list }}
{{- range (splitList "," .Values.kafka.brokers) }}
{{- $host := trim . }}
{{- if $host }}
{{- $hosts = append $hosts (trimPrefix "kafka://" $host) }}
{{- end }}
{{- end }}
{{- join "," $hosts }}
{{- end }}

{{/* True ("true") when the broker protocol uses SASL. */}}
{{- define "aiot.usesSasl" -}}
{{- if hasPrefix "SASL" (upper .Values.kafka.securityProtocol) }}true{{ end }}
{{- end }}

{{/* True ("true") when the broker protocol uses TLS. */}}
{{- define "aiot.usesTls" -}}
{{- if contains "SSL" (upper .Values.kafka.securityProtocol) }}true{{ end }}
{{- end }}

{{/*
Every non-secret AIOT_* setting as a YAML map of strings: the free-form `settings` values plus
the keys the chart owns (which win). Used for the worker ConfigMap and, inline, by the hook Job
(hooks run before the release's ConfigMap exists).
*/}}
{{- define "aiot.settingsEnv" -}}
{{- $env := dict }}
{{- range $key, $value := .Values.settings }}
{{- $_ := set $env (printf "AIOT_%s" (upper $key | replace "-" "_")) (include "aiot.str" $value) }}
{{- end }}
{{- $_ := set $env "AIOT_BROKER_URL" (include "aiot.brokerUrl" .) }}
{{- $_ := set $env "AIOT_BROKER_SECURITY_PROTOCOL" (upper .Values.kafka.securityProtocol) }}
{{- $_ := set $env "AIOT_BROKER_SASL_MECHANISM" (upper .Values.kafka.sasl.mechanism) }}
{{- if .Values.kafka.tls.existingSecret }}
{{- $_ := set $env "AIOT_BROKER_SSL_CAFILE" (printf "%s/%s" (trimSuffix "/" .Values.kafka.tls.mountPath) .Values.kafka.tls.caKey) }}
{{- end }}
{{- $_ := set $env "AIOT_APP_ID" .Values.appId }}
{{- $_ := set $env "AIOT_PARTITIONS" (include "aiot.str" .Values.topics.partitions) }}
{{- $_ := set $env "AIOT_REPLICATION_FACTOR" (include "aiot.str" .Values.topics.replicationFactor) }}
{{- $_ := set $env "AIOT_STORE" .Values.worker.store }}
{{- $_ := set $env "AIOT_DATA_DIR" .Values.persistence.mountPath }}
{{- $_ := set $env "AIOT_WEB_PORT" (include "aiot.str" .Values.worker.webPort) }}
{{- $_ := set $env "AIOT_WEB_HOST" "0.0.0.0" }}
{{- toYaml $env }}
{{- end }}

{{/* Settings as a container env list (for pods that cannot use the ConfigMap). */}}
{{- define "aiot.settingsEnvList" -}}
{{- range $key, $value := (include "aiot.settingsEnv" . | fromYaml) }}
- name: {{ $key }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/* Broker credentials as env entries referencing the existing Secret (never inline values). */}}
{{- define "aiot.brokerSecretEnv" -}}
{{- if and (include "aiot.usesSasl" .) .Values.kafka.sasl.existingSecret }}
- name: AIOT_BROKER_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ .Values.kafka.sasl.existingSecret }}
      key: {{ .Values.kafka.sasl.usernameKey }}
- name: AIOT_BROKER_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.kafka.sasl.existingSecret }}
      key: {{ .Values.kafka.sasl.passwordKey }}
{{- end }}
{{- end }}

{{/* Volume with the brokers' CA bundle, when kafka.tls.existingSecret is set. */}}
{{- define "aiot.kafkaTlsVolume" -}}
{{- if .Values.kafka.tls.existingSecret }}
- name: kafka-tls
  secret:
    secretName: {{ .Values.kafka.tls.existingSecret }}
    items:
      - key: {{ .Values.kafka.tls.caKey }}
        path: {{ .Values.kafka.tls.caKey }}
{{- end }}
{{- end }}

{{/* Mount of the CA bundle volume. */}}
{{- define "aiot.kafkaTlsMount" -}}
{{- if .Values.kafka.tls.existingSecret }}
- name: kafka-tls
  mountPath: {{ .Values.kafka.tls.mountPath }}
  readOnly: true
{{- end }}
{{- end }}

{{/* PromQL label matchers selecting this release's series. */}}
{{- define "aiot.seriesSelector" -}}
{{- if .Values.metrics.prometheusRule.seriesSelector }}
{{- .Values.metrics.prometheusRule.seriesSelector }}
{{- else }}
{{- printf "namespace=%q,job=\"%s-metrics\"" .Release.Namespace (include "aiot.fullname" .) }}
{{- end }}
{{- end }}

{{/* The telemetry topic name (settings override or the aiot default). */}}
{{- define "aiot.telemetryTopic" -}}
{{- default "aiot.machine.telemetry.v1" (index .Values.settings "topic_telemetry") }}
{{- end }}

{{/* Refuse contradictory values early, with a message that says what to change. */}}
{{- define "aiot.validate" -}}
{{- if and .Values.autoscaling.hpa.enabled .Values.autoscaling.keda.enabled }}
{{- fail "autoscaling.hpa.enabled and autoscaling.keda.enabled are mutually exclusive: KEDA creates its own HPA. Enable one." }}
{{- end }}
{{- $protocol := upper .Values.kafka.securityProtocol }}
{{- if not (has $protocol (list "PLAINTEXT" "SSL" "SASL_PLAINTEXT" "SASL_SSL")) }}
{{- fail (printf "kafka.securityProtocol %q must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL" .Values.kafka.securityProtocol) }}
{{- end }}
{{- if and (include "aiot.usesSasl" .) (not .Values.kafka.sasl.existingSecret) }}
{{- fail "kafka.securityProtocol uses SASL: set kafka.sasl.existingSecret to a Secret holding the user name and password" }}
{{- end }}
{{- if not (has (upper .Values.kafka.sasl.mechanism) (list "PLAIN" "SCRAM-SHA-256" "SCRAM-SHA-512")) }}
{{- fail (printf "kafka.sasl.mechanism %q must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512" .Values.kafka.sasl.mechanism) }}
{{- end }}
{{- end }}
