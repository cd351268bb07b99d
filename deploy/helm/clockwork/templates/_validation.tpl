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
