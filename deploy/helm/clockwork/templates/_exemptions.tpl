{{/*
Policy exemptions (clockwork.dev/policy-exempt*) for what the chart knowingly does.
The clockwork server and goose read DATABASE_URL only from the environment (server
contract), so the Deployment and the migration Job load the Secret with envFrom
(CLK-SEC-015, warn); the in-cluster PostgreSQL image reads POSTGRES_PASSWORD from env.
With the in-cluster PostgreSQL (postgresql.enabled) the migration Job is a post-install
(not pre-install) hook, since the database is created by the release itself (CLK-JOB-001).
Merges with user-supplied exemption annotations on the same object.
Call with (dict "ctx" . "annotations" $userAnnotations "ids" (list "CLK-SEC-015") "reason" "…");
renders an annotations map (YAML) or nothing.
*/}}
{{- define "clockwork.annotationsWithExemptions" -}}
{{- $ctx := .ctx -}}
{{- $ann := deepCopy (.annotations | default dict) -}}
{{- if and $ctx.Values.policyExemptions.enabled .ids -}}
{{- $idsKey := "clockwork.dev/policy-exempt" -}}
{{- $reasonKey := "clockwork.dev/policy-exempt-reason" -}}
{{- $ids := list -}}
{{- range (splitList "," (get $ann $idsKey)) -}}
{{- if trim . -}}{{- $ids = append $ids (trim .) -}}{{- end -}}
{{- end -}}
{{- range .ids -}}
{{- if not (has . $ids) -}}{{- $ids = append $ids . -}}{{- end -}}
{{- end -}}
{{- $_ := set $ann $idsKey (join "," $ids) -}}
{{- $reason := get $ann $reasonKey -}}
{{- $_ := set $ann $reasonKey (ternary .reason (printf "%s; %s" $reason .reason) (eq $reason "")) -}}
{{- if not (get $ann "clockwork.dev/policy-exempt-expires") -}}
{{- $_ := set $ann "clockwork.dev/policy-exempt-expires" $ctx.Values.policyExemptions.expires -}}
{{- end -}}
{{- end -}}
{{- if $ann -}}
{{- toYaml $ann -}}
{{- end -}}
{{- end -}}

{{- define "clockwork.exemptionReason.envSecret" -}}
CLK-SEC-015: the clockwork server and goose read DATABASE_URL only from the environment (server contract), so the Secret is loaded with envFrom
{{- end -}}

{{- define "clockwork.exemptionReason.postInstallMigration" -}}
CLK-JOB-001: the in-cluster PostgreSQL (postgresql.enabled) is created by this release itself, so the first migration runs as a post-install hook (pre-upgrade on upgrades); the Job waits for the database and stays bounded (backoffLimit, activeDeadlineSeconds, ttlSecondsAfterFinished)
{{- end -}}
