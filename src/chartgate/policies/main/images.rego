# Container images
package main

import rego.v1

import data.lib.k8s
import data.lib.main_helpers

image_digest(image) if contains(image, "@sha256:")

# The tag of an image reference ("" when there is none): after the last ":" that
# follows the last "/" (a registry port is not a tag).
image_tag(image) := tag if {
	not image_digest(image)
	parts := split(image, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	pieces := split(last, ":")
	tag := pieces[count(pieces) - 1]
} else := ""

# METADATA
# title: Image has an explicit tag other than latest, or a digest
# custom:
#   id: CLK-IMG-001
#   severity: deny
#   sources: [kube-score container-image-tag, Polaris tagNotSpecified, Trivy KSV013]
#   remediation: Pin the image to a version tag (e.g. :1.4.2) or a digest (@sha256:...).
deny_clk_img_001 contains res if {
	some c in k8s.input_containers
	image := object.get(c.container, "image", "")
	not image_digest(image)
	image_tag(image) in {"", "latest"}
	res := k8s.result(
		"CLK-IMG-001", input, sprintf("%s.image", [c.path]),
		sprintf("container %q uses image %q without a version tag or digest; pin a version tag or a digest", [c.name, image]),
	)
}

# METADATA
# title: Image pinned by digest, otherwise pulled Always
# description: Warn only (digest pinning and pull-policy Always conflict between tools).
# custom:
#   id: CLK-IMG-002
#   severity: warn
#   sources: [Gatekeeper k8simagedigests, kube-score container-image-pull-policy, Polaris pullPolicyNotAlways]
#   remediation: Reference the image by digest (@sha256:...) or set imagePullPolicy Always.
warn_clk_img_002 contains res if {
	some c in k8s.input_containers
	image := object.get(c.container, "image", "")
	not image_digest(image)
	object.get(c.container, "imagePullPolicy", "") != "Always"
	res := k8s.result(
		"CLK-IMG-002", input, sprintf("%s.imagePullPolicy", [c.path]),
		sprintf("container %q image %q is not pinned by digest and imagePullPolicy is not Always; pin a digest or pull Always", [c.name, image]),
	)
}

image_allowed(image) if {
	some prefix in main_helpers.allowed_registries
	startswith(image, prefix)
}

# METADATA
# title: Images come from an allowed registry
# description: Applies when data.chartgate.allowed_registries lists registries.
# custom:
#   id: CLK-IMG-003
#   severity: deny
#   sources: [Gatekeeper k8sallowedrepos, Kyverno restrict-image-registries]
#   remediation: Pull the image from one of the allowed registries (data.chartgate.allowed_registries).
deny_clk_img_003 contains res if {
	count(main_helpers.allowed_registries) > 0
	some c in k8s.input_containers
	image := object.get(c.container, "image", "")
	not image_allowed(image)
	res := k8s.result(
		"CLK-IMG-003", input, sprintf("%s.image", [c.path]),
		sprintf("container %q image %s is not from an allowed registry (%s)", [c.name, image, concat(", ", main_helpers.allowed_registries)]),
	)
}
