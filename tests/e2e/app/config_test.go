package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(envMap(map[string]string{"DATABASE_URL": "postgres://u:p@db:5432/clockwork?sslmode=disable"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		DatabaseURL:   "postgres://u:p@db:5432/clockwork?sslmode=disable",
		AutoMigrate:   false,
		MigrationsDir: "server/migrations",
		Port:          8080,
		Env:           "development",
		StaticDir:     "client/dist",
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("got %+v\nwant %+v", cfg, want)
	}
}

func TestLoadConfigAllSet(t *testing.T) {
	cfg, err := LoadConfig(envMap(map[string]string{
		"DATABASE_URL":          "postgresql://u@db/clockwork",
		"DB_AUTO_MIGRATE":       "true",
		"MIGRATIONS_DIR":        "/app/server/migrations-failing",
		"PORT":                  "9090",
		"ENV":                   "production",
		"STATIC_DIR":            "/srv/static",
		"ALLOWED_ORIGINS":       " https://a.example , ,https://b.example:8443,",
		"CLOCKWORK_TEST_FAULTS": "1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		DatabaseURL:    "postgresql://u@db/clockwork",
		AutoMigrate:    true,
		MigrationsDir:  "/app/server/migrations-failing",
		Port:           9090,
		Env:            "production",
		StaticDir:      "/srv/static",
		AllowedOrigins: []string{"https://a.example", "https://b.example:8443"},
		TestFaults:     true,
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("got %+v\nwant %+v", cfg, want)
	}
}

func TestDatabaseURLRequired(t *testing.T) {
	for _, v := range []string{"", "   "} {
		_, err := LoadConfig(envMap(map[string]string{"DATABASE_URL": v}))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Var != "DATABASE_URL" || !strings.Contains(err.Error(), "is required") {
			t.Fatalf("DATABASE_URL=%q: got %v, want a DATABASE_URL is required error", v, err)
		}
	}
}

func TestDatabaseURLMalformed(t *testing.T) {
	cases := map[string]string{
		"mysql://u:hunter2@db/clockwork":        "scheme",
		"u:hunter2@db/clockwork":                "postgres://",
		"db:5432/clockwork":                     "postgres",
		"host=db user=u password=hunter2":       "scheme",
		"postgres:///clockwork":                 "no host",
		"postgres://u:hunter2@db:notaport/x":    "not a valid URL",
		"postgres://u:hunter2@db:99999/x":       "invalid port",
		"postgres:hunter2@db":                   "form",
		"http://u:hunter2@db:5432/clockwork":    "scheme",
		"postgres://u:hunter2@[::1/clockwork":   "not a valid URL",
		"https://example.com/?password=hunter2": "scheme",
	}
	for raw, wantSub := range cases {
		_, err := LoadConfig(envMap(map[string]string{"DATABASE_URL": raw}))
		if err == nil {
			t.Errorf("%q: accepted", raw)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "DATABASE_URL: is malformed") || !strings.Contains(msg, wantSub) {
			t.Errorf("%q: message %q should name DATABASE_URL and mention %q", raw, msg, wantSub)
		}
		if strings.Contains(msg, "hunter2") {
			t.Errorf("%q: message leaks the password: %q", raw, msg)
		}
	}
}

func TestDatabaseURLAccepted(t *testing.T) {
	for _, raw := range []string{
		"postgres://db/clockwork",
		"postgresql://u:p%40ss@db.svc.cluster.local:5432/clockwork?sslmode=require",
		"postgres:///clockwork?host=/var/run/postgresql",
		"postgres://u:p@[::1]:5432/clockwork",
	} {
		if _, err := LoadConfig(envMap(map[string]string{"DATABASE_URL": raw})); err != nil {
			t.Errorf("%q: %v", raw, err)
		}
	}
}

func TestLoadConfigRejects(t *testing.T) {
	cases := []struct{ name, value, wantSub string }{
		{"ENV", "staging", "must be development or production"},
		{"ENV", "Production", "must be development or production"},
		{"PORT", "http", "between 1 and 65535"},
		{"PORT", "0", "between 1 and 65535"},
		{"PORT", "70000", "between 1 and 65535"},
		{"DB_AUTO_MIGRATE", "yes", "must be true or false"},
	}
	for _, c := range cases {
		_, err := LoadConfig(envMap(map[string]string{"DATABASE_URL": "postgres://db/x", c.name: c.value}))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Var != c.name || !strings.Contains(err.Error(), c.wantSub) {
			t.Errorf("%s=%q: got %v, want %s error containing %q", c.name, c.value, err, c.name, c.wantSub)
		}
	}
}

func TestLoadConfigReportsAllErrors(t *testing.T) {
	_, err := LoadConfig(envMap(map[string]string{"ENV": "qa", "PORT": "x"}))
	for _, v := range []string{"DATABASE_URL", "ENV", "PORT"} {
		if err == nil || !strings.Contains(err.Error(), v+":") {
			t.Fatalf("error %v should name %s", err, v)
		}
	}
}

func TestTestFaultsOnlyWithExactlyOne(t *testing.T) {
	for v, want := range map[string]bool{"1": true, "": false, "0": false, "true": false, "yes": false} {
		cfg, err := LoadConfig(envMap(map[string]string{"DATABASE_URL": "postgres://db/x", "CLOCKWORK_TEST_FAULTS": v}))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.TestFaults != want {
			t.Errorf("CLOCKWORK_TEST_FAULTS=%q: TestFaults=%v, want %v", v, cfg.TestFaults, want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	cases := map[string]string{
		"postgres://u:hunter2@db:5432/x":                 "postgres://u:xxxxx@db:5432/x",
		"postgres://u@db/x":                              "postgres://u@db/x",
		"postgres://db/x?password=hunter2&sslmode=false": "postgres://db/x?password=xxxxx&sslmode=false",
	}
	for in, want := range cases {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
