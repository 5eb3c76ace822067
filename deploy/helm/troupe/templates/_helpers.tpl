{{- define "troupe.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "troupe.labels" -}}
app.kubernetes.io/name: troupe
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "troupe.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "troupe.secretName" -}}
{{- .Values.existingSecret | default (printf "%s-secrets" (include "troupe.fullname" .)) -}}
{{- end -}}

{{/* The environment every Troupe process shares: Temporal, Redis, the data folder, config, secrets. */}}
{{- define "troupe.env" -}}
- name: TEMPORAL_ADDRESS
  value: {{ .Values.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
{{- with .Values.temporal.uiUrl }}
- name: TEMPORAL_UI_URL
  value: {{ . | quote }}
{{- end }}
- name: REDIS_URL
  value: {{ .Values.redis.url | quote }}
- name: TROUPE_DATA_DIR
  value: /data
- name: TROUPE_MODELS_FILE
  value: /etc/troupe/config/models.yaml
- name: TROUPE_POOLS_FILE
  value: /etc/troupe/config/pools.yaml
- name: TROUPE_AGENTS_DIR
  value: /etc/troupe/agents
{{- with .Values.observability.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- range $name, $_ := .Values.secrets }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "troupe.secretName" $ }}
      key: {{ $name }}
      optional: true
{{- end }}
{{- end -}}

{{- define "troupe.volumeMounts" -}}
- name: data
  mountPath: /data
- name: config
  mountPath: /etc/troupe/config
  readOnly: true
- name: agents
  mountPath: /etc/troupe/agents
  readOnly: true
{{- end -}}

{{- define "troupe.volumes" -}}
- name: data
  persistentVolumeClaim:
    claimName: {{ include "troupe.fullname" . }}-data
- name: config
  configMap:
    name: {{ include "troupe.fullname" . }}-config
- name: agents
  configMap:
    name: {{ include "troupe.fullname" . }}-agents
{{- end -}}
