{{- define "greeter.fullname" -}}
{{- printf "%s-greeter" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* one ConfigMap per message: a new message is a new name, which rolls the pods, and a
pod being replaced keeps serving the old content (an in-place update swaps files under it) */}}
{{- define "greeter.configName" -}}
{{- printf "%s-%s" (include "greeter.fullname" .) (.Values.message | sha256sum | trunc 8) -}}
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
