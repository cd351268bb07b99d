{{/* Labels. Selectors use only stable labels: name, instance, component. */}}

{{- define "clockwork.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Recommended labels carried by every object. */}}
{{- define "clockwork.labels" -}}
helm.sh/chart: {{ include "clockwork.chart" . }}
{{ include "clockwork.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | replace "+" "_" | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: clockwork
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "clockwork.selectorLabels" -}}
app.kubernetes.io/name: {{ include "clockwork.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels + component. Call with (list . "server"). */}}
{{- define "clockwork.componentLabels" -}}
{{ include "clockwork.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* Selector labels + component. Call with (list . "server"). */}}
{{- define "clockwork.componentSelectorLabels" -}}
{{ include "clockwork.selectorLabels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* Pod labels: full labels + component + the plan's short labels app/component. */}}
{{- define "clockwork.podLabels" -}}
{{ include "clockwork.componentLabels" . }}
app: {{ include "clockwork.name" (index . 0) }}
component: {{ index . 1 }}
{{- end -}}
