{{/*
Names. Every resource name is either the explicit value or <fullname>-<suffix>.
<fullname> = fullnameOverride, else the release name if it contains the chart name,
else <release>-<chart name>. Release "clockwork" => clockwork-server, clockwork-config …
*/}}

{{/* Chart/app name (app.kubernetes.io/name, app label). */}}
{{- define "clockwork.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Prefix of every derived resource name. */}}
{{- define "clockwork.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "clockwork.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* <fullname>-<suffix>, kept within 63 characters. Call with (list . "suffix"). */}}
{{- define "clockwork.derivedName" -}}
{{- $ctx := index . 0 -}}
{{- printf "%s-%s" (include "clockwork.fullname" $ctx | trunc (int (sub 62 (len (index . 1))))) (index . 1) | trimSuffix "-" -}}
{{- end -}}

{{/* Namespace every object goes to. */}}
{{- define "clockwork.namespace" -}}
{{- .Values.namespace.name | default "clockwork" -}}
{{- end -}}

{{- define "clockwork.deploymentName" -}}
{{- .Values.deployment.name | default (include "clockwork.derivedName" (list . "server")) -}}
{{- end -}}

{{- define "clockwork.serviceName" -}}
{{- .Values.service.name | default (include "clockwork.derivedName" (list . "service")) -}}
{{- end -}}

{{- define "clockwork.configMapName" -}}
{{- .Values.configMap.name | default (include "clockwork.derivedName" (list . "config")) -}}
{{- end -}}

{{/*
The app Secret the server reads DATABASE_URL from (created or existing). Three keys can
name it: secret.name, secret.existingSecret, postgresql.existingSecret. At most one may be
set (clockwork.validate fails otherwise), so there is no silent precedence.
*/}}
{{- define "clockwork.secretName" -}}
{{- if .Values.secret.existingSecret -}}
{{- .Values.secret.existingSecret -}}
{{- else if .Values.postgresql.existingSecret -}}
{{- .Values.postgresql.existingSecret -}}
{{- else -}}
{{- .Values.secret.name | default (include "clockwork.derivedName" (list . "secrets")) -}}
{{- end -}}
{{- end -}}

{{/* The values keys that name the app Secret and are set, as a list of "key (value)". */}}
{{- define "clockwork.secretNamedBy" -}}
{{- $set := list -}}
{{- range list (list "secret.existingSecret" .Values.secret.existingSecret) (list "postgresql.existingSecret" .Values.postgresql.existingSecret) (list "secret.name" .Values.secret.name) -}}
{{- if index . 1 -}}{{- $set = append $set (printf "%s (%s)" (index . 0) (index . 1)) -}}{{- end -}}
{{- end -}}
{{- toJson $set -}}
{{- end -}}

{{/*
"true" when the app Secret reference is optional: only the unnamed default app Secret next
to the in-cluster PostgreSQL (whose own Secret already carries DATABASE_URL). A Secret the
operator named, or the one an external PostgreSQL needs, is required: a missing or
misspelled one stops the rollout instead of being skipped.
*/}}
{{- define "clockwork.secretOptional" -}}
{{- if and .Values.postgresql.enabled (not .Values.secret.create) (eq (include "clockwork.secretNamedBy" .) "[]") -}}true{{- end -}}
{{- end -}}

{{- define "clockwork.migrationJobName" -}}
{{- .Values.migration.jobName | default (include "clockwork.derivedName" (list . "migrate")) -}}
{{- end -}}

{{- define "clockwork.ingressName" -}}
{{- .Values.ingress.name | default (include "clockwork.derivedName" (list . "ingress")) -}}
{{- end -}}

{{- define "clockwork.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "clockwork.derivedName" (list . "server")) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "clockwork.postgresqlName" -}}
{{- include "clockwork.derivedName" (list . "postgresql") -}}
{{- end -}}

{{/* Hook copies of the created ConfigMap/Secret, read by the migration hook Job (current revision's data). */}}
{{- define "clockwork.migrationConfigMapName" -}}
{{- printf "%s-migration" (include "clockwork.configMapName" . | trunc 243 | trimSuffix "-") -}}
{{- end -}}

{{- define "clockwork.migrationSecretName" -}}
{{- printf "%s-migration" (include "clockwork.secretName" . | trunc 243 | trimSuffix "-") -}}
{{- end -}}

{{/*
Effective number of server replicas used for PDB / spreading decisions.
*/}}
{{- define "clockwork.minReplicas" -}}
{{- if .Values.autoscaling.enabled -}}
{{- .Values.autoscaling.minReplicas -}}
{{- else -}}
{{- .Values.deployment.replicas -}}
{{- end -}}
{{- end -}}

{{/* "true" when the migration Job hook (and its hook ConfigMap/Secret copies) is rendered. */}}
{{- define "clockwork.migrationJobEnabled" -}}
{{- if and .Values.migration.enabled (eq .Values.migration.strategy "job") -}}true{{- end -}}
{{- end -}}

{{/*
Helm hook events of the migration Job and its ConfigMap/Secret hook copies.
External PostgreSQL: pre-install,pre-upgrade (migrate before anything of the release runs).
In-cluster PostgreSQL (postgresql.enabled): the database is created by this very release,
so the first migration runs post-install; on upgrade it exists, and pre-upgrade keeps
"migrate before the new version rolls out".
*/}}
{{- define "clockwork.migrationHookEvents" -}}
{{- if .Values.postgresql.enabled -}}
post-install,pre-upgrade
{{- else -}}
pre-install,pre-upgrade
{{- end -}}
{{- end -}}

{{/* In-cluster PostgreSQL Service host (headless Service; DNS answers once the pod is Ready). */}}
{{- define "clockwork.postgresqlHost" -}}
{{- printf "%s.%s.svc" (include "clockwork.postgresqlName" .) (include "clockwork.namespace" .) -}}
{{- end -}}

{{/*
"true" when the Namespace object is rendered. With namespace.create it is skipped only
when the namespace already exists on the cluster and is not owned by this release
(e.g. `helm install --create-namespace` or `kubectl create namespace` made it): Helm
cannot adopt an object it does not own. `helm template` / lint (no cluster) render it.
*/}}
{{- define "clockwork.namespace.render" -}}
{{- if .Values.namespace.create -}}
{{- $existing := lookup "v1" "Namespace" "" (include "clockwork.namespace" .) -}}
{{- if or (not $existing) .Values.namespace.adoptExisting -}}
true
{{- else -}}
{{- $ann := dig "metadata" "annotations" dict $existing -}}
{{- if and (eq (get $ann "meta.helm.sh/release-name") .Release.Name) (eq (get $ann "meta.helm.sh/release-namespace") .Release.Namespace) -}}
true
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
