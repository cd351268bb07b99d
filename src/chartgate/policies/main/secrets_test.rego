package main_test

import rego.v1

import data.lib.testdata as td
import data.main

test_sec_014_literal_password if {
	some r in main.deny_clk_sec_014 with input as td.add(td.deployment, sprintf("%s/env/-", [td.c0]), {"name": "DB_PASSWORD", "value": "hunter2"})
	r.path == "spec.template.spec.containers[0].env[2].value"
}

test_sec_014_names if {
	every name in ["API_TOKEN", "CLIENT_SECRET", "SIGNING_KEY", "BEARER", "AWS_ACCESS_KEY_ID", "credentials"] {
		td.ids(main.deny_clk_sec_014) == {"CLK-SEC-014"} with input as td.add(td.deployment, sprintf("%s/env/-", [td.c0]), {"name": name, "value": "x"})
	}
}

test_sec_014_passes_secret_ref_and_plain_names if {
	obj := td.add(
		td.add(td.deployment, sprintf("%s/env/-", [td.c0]), {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}),
		sprintf("%s/env/-", [td.c0]), {"name": "MONKEY_BUSINESS", "value": "x"},
	)
	count(main.deny_clk_sec_014) == 0 with input as obj
}

test_sec_015_secret_key_ref if {
	some r in main.warn_clk_sec_015 with input as td.add(td.deployment, sprintf("%s/env/-", [td.c0]), {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "db", "key": "url"}}})
	contains(r.msg, "Secret db")
}

test_sec_015_env_from if {
	td.ids(main.warn_clk_sec_015) == {"CLK-SEC-015"} with input as td.add(td.deployment, sprintf("%s/envFrom", [td.c0]), [{"configMapRef": {"name": "c"}}, {"secretRef": {"name": "s"}}])
}

test_sec_015_volume_passes if {
	count(main.warn_clk_sec_015) == 0 with input as td.add(td.deployment, sprintf("%s/envFrom", [td.c0]), [{"configMapRef": {"name": "c"}}])
}

test_sec_016_credential_key if {
	td.ids(main.deny_clk_sec_016) == {"CLK-SEC-016"} with input as td.add(td.configmap, "/data/DB_PASSWORD", "x")
}

test_sec_016_credential_values if {
	every value in [
		"postgres://app:s3cret@db:5432/app",
		"-----BEGIN RSA PRIVATE KEY-----\nabc",
		"AKIAABCDEFGHIJKLMNOP",
		"password=hunter2",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig",
	] {
		td.ids(main.deny_clk_sec_016) == {"CLK-SEC-016"} with input as td.add(td.configmap, "/data/CONFIG", value)
	}
}

test_sec_016_plain_config_passes if {
	count(main.deny_clk_sec_016) == 0 with input as td.add(td.configmap, "/data/DATABASE_HOST", "postgres://db:5432/app")
	count(main.deny_clk_sec_016) == 0 with input as td.add(td.configmap, "/data/TOKEN_TTL", "")
}
