package main

import (
	"net/http"
	"testing"
)

func corsApp(t *testing.T, origins ...string) http.Handler {
	cfg := testConfig(t)
	cfg.AllowedOrigins = origins
	app, _ := newTestApp(t, cfg, &fakeStore{})
	return app.Handler()
}

func TestCORSAllowedOrigin(t *testing.T) {
	h := corsApp(t, "https://a.example", "https://b.example")
	rec := do(t, h, "GET", "/api/projects", "", "Origin", "https://b.example")
	if rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "https://b.example" {
		t.Fatalf("got %d, ACAO %q", rec.Code, rec.Header().Get("Access-Control-Allow-Origin"))
	}
	if rec.Header().Get("Vary") != "Origin" {
		t.Fatalf("Vary = %q", rec.Header().Values("Vary"))
	}

	rec = do(t, h, "OPTIONS", "/api/projects", "",
		"Origin", "https://a.example",
		"Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type")
	if rec.Code != http.StatusNoContent ||
		rec.Header().Get("Access-Control-Allow-Origin") != "https://a.example" ||
		rec.Header().Get("Access-Control-Allow-Methods") == "" ||
		rec.Header().Get("Access-Control-Allow-Headers") != "content-type" {
		t.Fatalf("preflight: %d %v", rec.Code, rec.Header())
	}
}

func TestCORSDisallowedOrigin(t *testing.T) {
	h := corsApp(t, "https://a.example")
	rec := do(t, h, "GET", "/api/projects", "", "Origin", "https://evil.example")
	if rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("got %d, ACAO %q", rec.Code, rec.Header().Get("Access-Control-Allow-Origin"))
	}
	rec = do(t, h, "OPTIONS", "/api/projects", "", "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
	if rec.Code != http.StatusForbidden || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from disallowed origin: %d %v", rec.Code, rec.Header())
	}
}

func TestCORSNoOriginsConfigured(t *testing.T) {
	h := corsApp(t)
	rec := do(t, h, "GET", "/api/projects", "", "Origin", "https://a.example")
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("ACAO %q with no ALLOWED_ORIGINS", rec.Header().Get("Access-Control-Allow-Origin"))
	}
}

func TestCORSWildcard(t *testing.T) {
	h := corsApp(t, "*")
	rec := do(t, h, "GET", "/healthz", "", "Origin", "https://any.example")
	if rec.Header().Get("Access-Control-Allow-Origin") != "https://any.example" {
		t.Fatalf("ACAO %q with ALLOWED_ORIGINS=*", rec.Header().Get("Access-Control-Allow-Origin"))
	}
}
