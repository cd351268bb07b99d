{{- define "uses-library.fullname" -}}{{ include "common-lib.fullname" . }}{{- end -}}
{{- define "uses-library.selectorLabels" -}}{{ include "common-lib.selectorLabels" . }}{{- end -}}
{{- define "uses-library.labels" -}}{{ include "common-lib.labels" . }}{{- end -}}
