{{/*
Migration containers, shared by the migration Job and the server pods' initContainers
(migration.strategy job | initContainer), so both strategies run the same goose command
after the same bounded wait for the database.
*/}}

{{/* "true" when migrations first wait for the in-cluster PostgreSQL (created by this release). */}}
{{- define "clockwork.waitForDatabaseEnabled" -}}
{{- if and .Values.migration.enabled .Values.postgresql.enabled -}}true{{- end -}}
{{- end -}}

{{/*
`wait-for-database`: waits (bounded by migration.waitForDatabase.timeoutSeconds) until the
in-cluster PostgreSQL Service accepts TCP connections; bash /dev/tcp, no client tools
needed. Without it a post-install Job started without `helm install --wait`, or a server
pod's goose, would fail while the database is still initialising.
*/}}
{{- define "clockwork.waitForDatabaseContainer" -}}
- name: wait-for-database
  image: {{ include "clockwork.image" . }}
  imagePullPolicy: {{ .Values.deployment.image.pullPolicy }}
  env:
    - name: DB_HOST
      value: {{ include "clockwork.postgresqlHost" . | quote }}
    - name: DB_PORT
      value: {{ .Values.postgresql.port | quote }}
    - name: WAIT_TIMEOUT_SECONDS
      value: {{ .Values.migration.waitForDatabase.timeoutSeconds | quote }}
  command:
    - bash
    - -c
    - |
      deadline=$(( SECONDS + WAIT_TIMEOUT_SECONDS ))
      until timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$DB_HOST" "$DB_PORT" 2>/dev/null; do
        if (( SECONDS >= deadline )); then
          echo "PostgreSQL ${DB_HOST}:${DB_PORT} not reachable after ${WAIT_TIMEOUT_SECONDS}s (migration.waitForDatabase.timeoutSeconds)" >&2
          exit 1
        fi
        echo "waiting for PostgreSQL ${DB_HOST}:${DB_PORT} ..."
        sleep 2
      done
      echo "PostgreSQL ${DB_HOST}:${DB_PORT} accepts connections"
  securityContext:
    {{- include "clockwork.containerSecurityContext" . | nindent 4 }}
  resources:
    {{- toYaml .Values.migration.resources | nindent 4 }}
{{- end -}}

{{/* `migrate`: goose up. Call with (dict "ctx" . "hook" bool); hook=true reads the hook copies. */}}
{{- define "clockwork.migrateContainer" -}}
{{- $ := .ctx -}}
- name: migrate
  image: {{ include "clockwork.migrationImage" $ }}
  imagePullPolicy: {{ include "clockwork.migrationPullPolicy" $ }}
  command:
    {{- toYaml $.Values.migration.command | nindent 4 }}
  {{- with $.Values.migration.args }}
  args:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  envFrom:
    {{- include "clockwork.envFrom" (dict "ctx" $ "hook" .hook) | nindent 4 }}
  securityContext:
    {{- include "clockwork.containerSecurityContext" $ | nindent 4 }}
  resources:
    {{- toYaml $.Values.migration.resources | nindent 4 }}
  volumeMounts:
    - name: tmp
      mountPath: /tmp
{{- end -}}
