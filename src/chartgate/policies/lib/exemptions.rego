# METADATA
# title: Policy exemptions (one resource, one rule, a reason and an expiry date)
# description: >-
#   An object opts out of one or more rules with the annotations
#   clockwork.dev/policy-exempt: "CLK-SEC-012[,CLK-...]",
#   clockwork.dev/policy-exempt-reason (mandatory) and
#   clockwork.dev/policy-exempt-expires: "YYYY-MM-DD" (mandatory; the exemption ends after
#   that day, UTC). Objects the chart cannot annotate are listed in
#   policies/data/exemptions.yaml (data.clockwork.exemptions) with kind, name, optional
#   namespace, rules, reason and expires. Only a complete, unexpired exemption exempts;
#   anything else is reported by CLK-EXC-001.
package lib.exemptions

import rego.v1

annotation_ids := "clockwork.dev/policy-exempt"

annotation_reason := "clockwork.dev/policy-exempt-reason"

annotation_expires := "clockwork.dev/policy-exempt-expires"

id_pattern := `^CLK-[A-Z]+-[0-9]{3}$`

# conftest rule-name suffix of a policy id: CLK-SEC-012 -> clk_sec_012 (deny_clk_sec_012).
rule_suffix(id) := lower(replace(id, "-", "_"))

_annotations(obj) := object.get(object.get(obj, "metadata", {}), "annotations", {})

# Every exemption that names this object, valid or not:
# {"id", "reason", "expires", "source"}.
requested(obj) := annotated(obj) | listed(obj)

annotated(obj) := {e |
	ann := _annotations(obj)
	raw := ann[annotation_ids]
	some part in split(raw, ",")
	id := trim_space(part)
	id != ""
	e := {
		"id": id,
		"reason": trim_space(object.get(ann, annotation_reason, "")),
		"expires": trim_space(object.get(ann, annotation_expires, "")),
		"source": "annotation",
	}
}

# Entries of policies/data/exemptions.yaml.
default entries := []

entries := data.clockwork.exemptions

listed(obj) := {e |
	some entry in entries
	entry.kind == obj.kind
	glob.match(entry.name, [], obj.metadata.name)
	_namespace_matches(entry, obj)
	some id in entry.rules
	e := {
		"id": id,
		"reason": trim_space(object.get(entry, "reason", "")),
		"expires": trim_space(sprintf("%v", [object.get(entry, "expires", "")])),
		"source": "policies/data/exemptions.yaml",
	}
}

_namespace_matches(entry, _) if not entry.namespace

_namespace_matches(entry, obj) if entry.namespace == object.get(obj.metadata, "namespace", "")

# Why an exemption does not exempt (undefined when it does).
problem(e) := sprintf("%s does not look like a policy id (CLK-XXX-000)", [e.id]) if {
	not regex.match(id_pattern, e.id)
} else := sprintf("exemption from %s has no reason (%s)", [e.id, annotation_reason]) if {
	e.reason == ""
} else := sprintf("exemption from %s has no expiry date (%s: YYYY-MM-DD)", [e.id, annotation_expires]) if {
	e.expires == ""
} else := sprintf("exemption from %s has an expiry date %q that is not YYYY-MM-DD", [e.id, e.expires]) if {
	not regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`, e.expires)
} else := sprintf("exemption from %s expired on %s; fix the object or renew the exemption", [e.id, e.expires]) if {
	expired(e.expires)
}

# An exemption ends when the day after `expires` begins (UTC).
expired(date) if time.now_ns() >= time.parse_ns("2006-01-02", date) + (((24 * 60) * 60) * 1000000000)

# Exemptions that are in force for this object.
active(obj) := {e | some e in requested(obj); not problem(e)}

active_ids(obj) := {e.id | some e in active(obj)}

# Exemptions that are present but do not exempt, with the reason.
problems(obj) := {[e, problem(e)] | some e in requested(obj)}

# Is this object exempt from this rule id? (for rules evaluated outside conftest's
# `exception` mechanism, i.e. the cross-object `combine` package)
exempt(obj, id) if id in active_ids(obj)
