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

{{/*
Labels of the PostgreSQL volumeClaimTemplate. The API server refuses every change to a
StatefulSet's volumeClaimTemplates ("spec: Forbidden: updates to statefulset spec for
fields other than ..."), so they must not carry values that change between releases
(helm.sh/chart, app.kubernetes.io/version, commonLabels). An existing StatefulSet
(`helm upgrade`) keeps exactly the labels it was created with (chart 0.1.0 put the full
label set there); a new one gets the stable selector labels.
*/}}
{{- define "clockwork.postgresqlClaimLabels" -}}
{{- $sts := lookup "apps/v1" "StatefulSet" (include "clockwork.namespace" .) (include "clockwork.postgresqlName" .) -}}
{{- $claims := dig "spec" "volumeClaimTemplates" list $sts -}}
{{- if $claims -}}
{{- toYaml (dig "metadata" "labels" dict (first $claims)) -}}
{{- else -}}
{{ include "clockwork.componentSelectorLabels" (list . "postgresql") }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: clockwork
{{- end -}}
{{- end -}}

{{/*
Labels of the PostgreSQL pod template: the pod labels without the chart and app versions,
so that a chart or server upgrade does not restart the database (every restart is downtime
for a single-instance database); the StatefulSet object itself carries the full set.
*/}}
{{- define "clockwork.postgresqlPodLabels" -}}
{{ include "clockwork.componentSelectorLabels" (list . "postgresql") }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: clockwork
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
app: {{ include "clockwork.name" . }}
component: postgresql
{{- end -}}
