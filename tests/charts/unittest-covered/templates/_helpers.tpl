{{- define "uc.name" -}}
{{- if .Values.feature.enabled }}featured{{ else }}plain{{ end -}}
{{- end }}
