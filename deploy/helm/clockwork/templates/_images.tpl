{{/* Images. */}}

{{/* repository@digest or repository:tag. Call with (dict "image" $img "tag" $defaultTag). */}}
{{- define "clockwork.imageRef" -}}
{{- $img := .image -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository (default .tag $img.tag) -}}
{{- end -}}
{{- end -}}

{{- define "clockwork.image" -}}
{{- include "clockwork.imageRef" (dict "image" .Values.deployment.image "tag" (include "clockwork.imageTag" .)) -}}
{{- end -}}

{{/* The server image's tag: deployment.image.tag, else the chart appVersion. */}}
{{- define "clockwork.imageTag" -}}
{{- .Values.deployment.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{/*
Migration image: the server image unless migration.image.repository is set; then its tag
defaults to the server image's tag (migrations ship with the server release). tag/digest
without a repository are rejected by clockwork.validate.
*/}}
{{- define "clockwork.migrationImage" -}}
{{- if .Values.migration.image.repository -}}
{{- include "clockwork.imageRef" (dict "image" .Values.migration.image "tag" (include "clockwork.imageTag" .)) -}}
{{- else -}}
{{- include "clockwork.image" . -}}
{{- end -}}
{{- end -}}

{{- define "clockwork.migrationPullPolicy" -}}
{{- .Values.migration.image.pullPolicy | default .Values.deployment.image.pullPolicy -}}
{{- end -}}

{{/* Test image: the server image unless tests.image.repository is set (tag as for migrations). */}}
{{- define "clockwork.testImage" -}}
{{- if .Values.tests.image.repository -}}
{{- include "clockwork.imageRef" (dict "image" .Values.tests.image "tag" (include "clockwork.imageTag" .)) -}}
{{- else -}}
{{- include "clockwork.image" . -}}
{{- end -}}
{{- end -}}

{{- define "clockwork.testPullPolicy" -}}
{{- .Values.tests.image.pullPolicy | default .Values.deployment.image.pullPolicy -}}
{{- end -}}

{{- define "clockwork.postgresqlImage" -}}
{{- include "clockwork.imageRef" (dict "image" .Values.postgresql.image "tag" "16") -}}
{{- end -}}

{{- define "clockwork.imagePullSecrets" -}}
{{- with .Values.deployment.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}
