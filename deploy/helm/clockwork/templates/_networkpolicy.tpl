{{/* NetworkPolicy egress rules shared by the server, migration and test policies. */}}

{{- define "clockwork.netpol.dnsEgress" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}
{{- define "clockwork.netpol.dbEgress" -}}
{{- if .Values.postgresql.enabled }}
- to:
    - podSelector:
        matchLabels:
          {{- include "clockwork.componentSelectorLabels" (list . "postgresql") | nindent 10 }}
  ports:
    - port: {{ .Values.postgresql.port }}
      protocol: TCP
{{- else }}
- ports:
    - port: {{ .Values.postgresql.port }}
      protocol: TCP
  {{- with .Values.networkPolicy.databaseEgress }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end }}
