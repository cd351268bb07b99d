{{/*
Environment. The server, the migration Job/initContainer read the same sources:
the ConfigMap, then (in-cluster PostgreSQL) the chart's PostgreSQL Secret, then the
app Secret (later sources win, so an app Secret's DATABASE_URL overrides the composed one).
The app Secret is optional only when nobody named it (clockwork.secretOptional).
Call with (dict "ctx" . "hook" bool): hook=true references the hook copies.
*/}}
{{- define "clockwork.envFrom" -}}
{{- $ := .ctx -}}
{{- $hook := and .hook (eq (include "clockwork.migrationJobEnabled" $) "true") -}}
- configMapRef:
    name: {{ if and $hook $.Values.configMap.create }}{{ include "clockwork.migrationConfigMapName" $ }}{{ else }}{{ include "clockwork.configMapName" $ }}{{ end }}
{{- if $.Values.postgresql.enabled }}
- secretRef:
    name: {{ include "clockwork.postgresqlName" $ }}
{{- end }}
- secretRef:
    name: {{ if and $hook $.Values.secret.create }}{{ include "clockwork.migrationSecretName" $ }}{{ else }}{{ include "clockwork.secretName" $ }}{{ end }}
{{- if eq (include "clockwork.secretOptional" $) "true" }}
    optional: true
{{- end }}
{{- end -}}

{{/* ConfigMap data (shared by the ConfigMap and its hook copy). */}}
{{- define "clockwork.configData" -}}
PORT: {{ .Values.configMap.values.port | quote }}
ENV: {{ .Values.configMap.values.env | quote }}
MIGRATIONS_DIR: {{ .Values.configMap.values.migrationsDir | quote }}
STATIC_DIR: {{ .Values.configMap.values.staticDir | quote }}
ALLOWED_ORIGINS: {{ .Values.configMap.values.allowedOrigins | quote }}
DB_AUTO_MIGRATE: {{ .Values.configMap.values.dbAutoMigrate | toString | quote }}
{{- range $k, $v := .Values.configMap.extraData }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end -}}

{{/*
PostgreSQL password: values, else the existing chart Secret, else generated once per render
(cached in .Values so every template sees the same one). The chart Secret is kept on
`helm uninstall` (helm.sh/resource-policy: keep) like the data PVC, so upgrades and a
reinstall under the same release name find it and keep the password the data directory
was initialised with. If the PVC survived but the Secret is gone, a new password could
never log in: fail and say how to recover. Under `helm template` lookup finds nothing and
a password is generated.
*/}}
{{- define "clockwork.postgresqlPassword" -}}
{{- if not (hasKey .Values.postgresql "__password") -}}
{{- $pw := .Values.postgresql.password -}}
{{- if not $pw -}}
{{- $ns := include "clockwork.namespace" . -}}
{{- $name := include "clockwork.postgresqlName" . -}}
{{- $existing := lookup "v1" "Secret" $ns $name -}}
{{- $data := dig "data" dict $existing -}}
{{- if hasKey $data "POSTGRES_PASSWORD" -}}
{{- $pw = index $data "POSTGRES_PASSWORD" | b64dec -}}
{{- else -}}
{{- $pvc := printf "data-%s-0" $name -}}
{{- if lookup "v1" "PersistentVolumeClaim" $ns $pvc -}}
{{- fail (printf "PersistentVolumeClaim %q in namespace %q holds a PostgreSQL database, but Secret %q with its password is gone, so a generated password could not log in. Set postgresql.password to the database's password, or delete the data with `kubectl delete pvc %s -n %s` (deploy/README.md, Uninstall)" $pvc $ns $name $pvc $ns) -}}
{{- end -}}
{{- $pw = randAlphaNum 24 -}}
{{- end -}}
{{- end -}}
{{- $_ := set .Values.postgresql "__password" $pw -}}
{{- end -}}
{{- index .Values.postgresql "__password" -}}
{{- end -}}

{{/* DATABASE_URL of the in-cluster PostgreSQL. */}}
{{- define "clockwork.postgresqlDatabaseUrl" -}}
{{- printf "postgres://%s:%s@%s:%d/%s?sslmode=disable" (.Values.postgresql.username | urlquery) (include "clockwork.postgresqlPassword" . | urlquery) (include "clockwork.postgresqlHost" .) (int .Values.postgresql.port) .Values.postgresql.database -}}
{{- end -}}

{{/* DATABASE_URL stored in a created app Secret. */}}
{{- define "clockwork.databaseUrl" -}}
{{- if .Values.secret.databaseUrl -}}
{{- .Values.secret.databaseUrl -}}
{{- else if .Values.postgresql.enabled -}}
{{- include "clockwork.postgresqlDatabaseUrl" . -}}
{{- else if and .Values.postgresql.host .Values.postgresql.password -}}
{{- printf "postgres://%s:%s@%s:%d/%s?sslmode=%s" (.Values.postgresql.username | urlquery) (.Values.postgresql.password | urlquery) .Values.postgresql.host (int .Values.postgresql.port) .Values.postgresql.database .Values.postgresql.sslmode -}}
{{- else -}}
{{- fail "secret.create=true needs secret.databaseUrl, postgresql.enabled=true, or postgresql.host + postgresql.password to build DATABASE_URL" -}}
{{- end -}}
{{- end -}}

{{/* Secret data (shared by the Secret and its hook copy). */}}
{{- define "clockwork.secretData" -}}
DATABASE_URL: {{ include "clockwork.databaseUrl" . | b64enc | quote }}
{{- end -}}
