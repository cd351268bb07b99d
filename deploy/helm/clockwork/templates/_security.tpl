{{/* Security contexts (Pod Security "restricted"). */}}

{{- define "clockwork.podSecurityContext" -}}
{{ toYaml .Values.deployment.podSecurityContext }}
{{- end -}}

{{- define "clockwork.containerSecurityContext" -}}
{{ toYaml .Values.deployment.securityContext }}
{{- end -}}

{{/* PostgreSQL: same restricted profile with the database UID/GID. */}}
{{- define "clockwork.postgresqlPodSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.postgresql.runAsUser }}
runAsGroup: {{ .Values.postgresql.runAsGroup }}
fsGroup: {{ .Values.postgresql.runAsGroup }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "clockwork.postgresqlContainerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: {{ .Values.postgresql.readOnlyRootFilesystem }}
runAsNonRoot: true
runAsUser: {{ .Values.postgresql.runAsUser }}
runAsGroup: {{ .Values.postgresql.runAsGroup }}
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}
