{{- define "greeter.fullname" -}}
{{- printf "%s-greeter" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* immutable: the Deployment's selector */}}
{{- define "greeter.selectorLabels" -}}
app.kubernetes.io/name: greeter
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "greeter.labels" -}}
{{ include "greeter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
