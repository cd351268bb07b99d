package main_test

import rego.v1

import data.lib.testdata as td
import data.main

image(img) := td.add(td.deployment, sprintf("%s/image", [td.c0]), img)

test_img_001_no_tag_or_latest if {
	every img in ["clockwork", "clockwork:latest", "registry:5000/team/clockwork", "registry:5000/clockwork:latest"] {
		td.ids(main.deny_clk_img_001) == {"CLK-IMG-001"} with input as image(img)
	}
}

test_img_001_pinned_passes if {
	every img in ["clockwork:1.2.3", "registry:5000/clockwork:1.2.3", "clockwork@sha256:abc", "clockwork:latest@sha256:abc"] {
		count(main.deny_clk_img_001) == 0 with input as image(img)
	}
}

test_img_002_tag_without_always if {
	some r in main.warn_clk_img_002 with input as image("clockwork:1.2.3")
	r.path == "spec.template.spec.containers[0].imagePullPolicy"
}

test_img_002_always_or_digest_passes if {
	count(main.warn_clk_img_002) == 0 with input as td.add(image("clockwork:1.2.3"), sprintf("%s/imagePullPolicy", [td.c0]), "Always")
	count(main.warn_clk_img_002) == 0 with input as td.deployment
}
