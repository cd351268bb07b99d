# METADATA
# title: Policy exemptions (one resource, one rule, a reason and an expiry date)
# description: >-
#   An object opts out of one or more rules with the annotations
#   chartgate.dev/policy-exempt: "CLK-SEC-012[,CLK-...]",
#   chartgate.dev/policy-exempt-reason (mandatory) and
#   chartgate.dev/policy-exempt-expires: "YYYY-MM-DD" (mandatory; the exemption ends after
#   that day, UTC). The clockwork.dev/ names of the same annotations are honoured too
#   (charts written before the pack was chart-neutral); each prefix is read on its own.
#   Objects the chart cannot annotate are listed as data (data.chartgate.exemptions, or
#   the older data.clockwork.exemptions) with kind, name, optional namespace, rules,
#   reason and expires. Only a complete, unexpired exemption exempts; anything else is
#   reported by CLK-EXC-001.
package lib.exemptions

import rego.v1

# Annotation prefixes, the chart-neutral one first.
prefixes := ["chartgate.dev", "clockwork.dev"]

id_pattern := `^CLK-[A-Z]+-[0-9]{3}$`

# conftest rule-name suffix of a policy id: CLK-SEC-012 -> clk_sec_012 (deny_clk_sec_012).
rule_suffix(id) := lower(replace(id, "-", "_"))

_annotations(obj) := object.get(object.get(obj, "metadata", {}), "annotations", {})

# Every exemption that names this object, valid or not:
# {"id", "reason", "expires", "source"}.
requested(obj) := annotated(obj) | listed(obj)

annotated(obj) := {e |
	ann := _annotations(obj)
	some prefix in prefixes
	raw := ann[sprintf("%s/policy-exempt", [prefix])]
	some part in split(raw, ",")
	id := trim_space(part)
	id != ""
	e := {
		"id": id,
		"reason": trim_space(object.get(ann, sprintf("%s/policy-exempt-reason", [prefix]), "")),
		"expires": trim_space(object.get(ann, sprintf("%s/policy-exempt-expires", [prefix]), "")),
		"source": "annotation",
		"prefix": prefix,
	}
}

# Entries of the exemptions data (data.chartgate.exemptions, then the older
# data.clockwork.exemptions).
default chartgate_entries := []

chartgate_entries := data.chartgate.exemptions

default clockwork_entries := []

clockwork_entries := data.clockwork.exemptions

entries := array.concat(chartgate_entries, clockwork_entries)

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
		"source": "exemptions data (data.chartgate.exemptions)",
		"prefix": "chartgate.dev",
	}
}

_namespace_matches(entry, _) if not entry.namespace

_namespace_matches(entry, obj) if entry.namespace == object.get(obj.metadata, "namespace", "")

# Why an exemption does not exempt (undefined when it does).
problem(e) := sprintf("%s does not look like a policy id (CLK-XXX-000)", [e.id]) if {
	not regex.match(id_pattern, e.id)
} else := sprintf("exemption from %s has no reason (%s/policy-exempt-reason)", [e.id, e.prefix]) if {
	e.reason == ""
} else := sprintf("exemption from %s has no expiry date (%s/policy-exempt-expires: YYYY-MM-DD)", [e.id, e.prefix]) if {
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
