{{/*
Cross-field checks the JSON schema cannot express. Included by deployment.yaml, so
every render runs them. Messages name the offending key.
*/}}
{{- define "clockwork.validate" -}}
{{- $v := .Values -}}
{{- if and $v.configMap.create (ne (int $v.configMap.values.port) (int $v.deployment.containerPort)) -}}
{{- fail (printf "configMap.values.port (%v) must equal deployment.containerPort (%v): the server binds PORT" $v.configMap.values.port $v.deployment.containerPort) -}}
{{- end -}}
{{- if and (not (kindIs "string" $v.service.targetPort)) (ne (int $v.service.targetPort) (int $v.deployment.containerPort)) -}}
{{- fail (printf "service.targetPort (%v) must equal deployment.containerPort (%v) or be the port name \"http\"" $v.service.targetPort $v.deployment.containerPort) -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) -}}
{{- fail (printf "autoscaling.minReplicas (%v) must not exceed autoscaling.maxReplicas (%v)" $v.autoscaling.minReplicas $v.autoscaling.maxReplicas) -}}
{{- end -}}
{{- if le (int $v.deployment.terminationGracePeriodSeconds) (int $v.deployment.preStopSleepSeconds) -}}
{{- fail (printf "deployment.terminationGracePeriodSeconds (%v) must be greater than deployment.preStopSleepSeconds (%v)" $v.deployment.terminationGracePeriodSeconds $v.deployment.preStopSleepSeconds) -}}
{{- end -}}
{{- $named := include "clockwork.secretNamedBy" . | fromJsonArray -}}
{{- if gt (len $named) 1 -}}
{{- fail (printf "%s both name the Secret with DATABASE_URL: set only one of them (secret.name for a created or existing Secret; the existingSecret keys are aliases for an existing one)" (join " and " $named)) -}}
{{- end -}}
{{- if and (not $v.postgresql.enabled) (or (not $v.secret.create) $v.secret.databaseUrl) -}}
{{- range $key := list "host" "password" -}}
{{- if index $v.postgresql $key -}}
{{- fail (printf "postgresql.%s is only used to compose DATABASE_URL for a Secret the chart creates (secret.create=true, secret.databaseUrl empty) or for the in-cluster PostgreSQL; here it would be ignored: put it into the Secret's DATABASE_URL and unset postgresql.%s" $key $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and $v.secret.databaseUrl (not $v.secret.create) -}}
{{- fail "secret.databaseUrl is only stored when secret.create=true; with an existing Secret (secret.create=false) it would be ignored: put DATABASE_URL into that Secret and unset secret.databaseUrl" -}}
{{- end -}}
{{- range $key := list "migration" "tests" -}}
{{- $img := (index $v $key).image -}}
{{- range $field := list "tag" "digest" -}}
{{- if and (index $img $field) (not $img.repository) -}}
{{- fail (printf "%s.image.%s (%s) is set without %s.image.repository: the server image (deployment.image.*) would be used and this value ignored; set %s.image.repository too, or unset it" $key $field (index $img $field) $key $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $key, $_ := $v.namespace.labels -}}
{{- if hasKey $v.commonLabels $key -}}
{{- fail (printf "namespace.labels and commonLabels both set %q (the Namespace carries commonLabels too, so the key would appear twice): set it in one of them" $key) -}}
{{- end -}}
{{- end -}}
{{- include "clockwork.validate.secretExists" . -}}
{{- if and $v.postgresql.enabled (eq (include "clockwork.migrationJobEnabled" .) "true") (ge (int $v.migration.waitForDatabase.timeoutSeconds) (int $v.migration.activeDeadlineSeconds)) -}}
{{- fail (printf "migration.waitForDatabase.timeoutSeconds (%v) must be lower than migration.activeDeadlineSeconds (%v), or the Job is killed before goose runs" $v.migration.waitForDatabase.timeoutSeconds $v.migration.activeDeadlineSeconds) -}}
{{- end -}}
{{- $pdb := $v.podDisruptionBudget -}}
{{- $min := int (include "clockwork.minReplicas" .) -}}
{{- $minAvailable := get $pdb "minAvailable" -}}
{{- if and $pdb.enabled (gt $min 1) (not (kindIs "invalid" $minAvailable)) (not (kindIs "string" $minAvailable)) -}}
{{- if ge (int $minAvailable) $min -}}
{{- fail (printf "podDisruptionBudget.minAvailable (%v) must be lower than the replica count / autoscaling.minReplicas (%v), or no pod could ever be evicted" $minAvailable $min) -}}
{{- end -}}
{{- end -}}
{{- end -}}


{{/*
"true" when `lookup` talks to a cluster: the target namespace's `default` ServiceAccount
exists (namespace-scoped RBAC suffices), or, when the chart may create the namespace
(namespace.create; `helm install --create-namespace` creates it only after rendering), the
`default` Namespace exists. Under `helm template` / `--dry-run=client` lookup returns
nothing, so the cluster checks below are skipped and the static render is unchanged.
*/}}
{{- define "clockwork.clusterReachable" -}}
{{- $ns := include "clockwork.namespace" . -}}
{{- if lookup "v1" "ServiceAccount" $ns "default" -}}
true
{{- else if and .Values.namespace.create (lookup "v1" "Namespace" "" "default") -}}
true
{{- end -}}
{{- end -}}

{{/*
A required app Secret (named by the operator, or needed by an external PostgreSQL) that is
missing would leave pods in CreateContainerConfigError and `helm install --wait` would time
out; with a cluster at hand, fail the install at once, naming the Secret and namespace.
*/}}
{{- define "clockwork.validate.secretExists" -}}
{{- if and (not .Values.secret.create) (ne (include "clockwork.secretOptional" .) "true") (eq (include "clockwork.clusterReachable" .) "true") -}}
{{- $ns := include "clockwork.namespace" . -}}
{{- $name := include "clockwork.secretName" . -}}
{{- if not (lookup "v1" "Secret" $ns $name) -}}
{{- $named := include "clockwork.secretNamedBy" . | fromJsonArray -}}
{{- $by := "" -}}
{{- if $named -}}{{- $by = printf " (%s)" (first $named | splitList " " | first) -}}{{- end -}}
{{- fail (printf "Secret %q%s does not exist in namespace %q: the server and the migrations read DATABASE_URL from it. Create it first (kubectl create secret generic %s --from-literal=DATABASE_URL='postgres://USER:PASSWORD@HOST:5432/clockwork?sslmode=require' -n %s) or correct the name" $name $by $ns $name $ns) -}}
{{- end -}}
{{- end -}}
{{- end -}}
