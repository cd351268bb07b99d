package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestLiveness(t *testing.T) {
	app, _ := newTestApp(t, testConfig(t), &fakeStore{pingErr: errDBDown})
	rec := do(t, app.Handler(), "GET", "/healthz", "")
	// Liveness never depends on the database.
	if rec.Code != 200 || rec.Body.String() != "ok" {
		t.Fatalf("GET /healthz = %d %q, want 200 ok", rec.Code, rec.Body.String())
	}
	if got := rec.Header().Get("X-Clockwork-Version"); got != "1.2.3-test" {
		t.Fatalf("X-Clockwork-Version = %q", got)
	}
}

func readHealth(t *testing.T, app *App) (int, healthResponse) {
	t.Helper()
	rec := do(t, app.Handler(), "GET", "/api/health", "")
	var h healthResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil {
		t.Fatalf("GET /api/health body %q: %v", rec.Body.String(), err)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q", ct)
	}
	return rec.Code, h
}

func TestReadiness(t *testing.T) {
	store := &fakeStore{}
	app, logs := newTestApp(t, testConfig(t), store)

	code, h := readHealth(t, app)
	if code != 200 || h != (healthResponse{Status: "ok", Version: "1.2.3-test", Database: "ok"}) {
		t.Fatalf("healthy: %d %+v", code, h)
	}

	store.mu.Lock()
	store.pingErr = errDBDown
	store.mu.Unlock()
	code, h = readHealth(t, app)
	if code != http.StatusServiceUnavailable || h.Status != "unavailable" || h.Database != "unreachable" || h.Version != "1.2.3-test" {
		t.Fatalf("db down: %d %+v", code, h)
	}

	store.mu.Lock()
	store.pingErr = nil
	store.mu.Unlock()
	if code, _ = readHealth(t, app); code != 200 {
		t.Fatalf("db back: %d", code)
	}

	app.draining.Store(true)
	code, h = readHealth(t, app)
	if code != http.StatusServiceUnavailable || h.Status != "draining" {
		t.Fatalf("draining: %d %+v", code, h)
	}

	out := logs.String()
	if strings.Count(out, "database connection ok") != 2 || strings.Count(out, "database unreachable") != 1 {
		t.Fatalf("want one log line per database state change, got:\n%s", out)
	}
}

func TestFaultSwitchAbsentWithoutEnv(t *testing.T) {
	app, _ := newTestApp(t, testConfig(t), &fakeStore{})
	h := app.Handler()
	for _, m := range []string{"POST", "DELETE", "GET"} {
		if rec := do(t, h, m, "/test/fault/liveness", ""); rec.Code != http.StatusNotFound {
			t.Fatalf("%s /test/fault/liveness without CLOCKWORK_TEST_FAULTS = %d, want 404", m, rec.Code)
		}
	}
	if rec := do(t, h, "GET", "/healthz", ""); rec.Code != 200 {
		t.Fatalf("/healthz = %d after fault attempt, want 200", rec.Code)
	}
}

func TestFaultSwitchWithEnv(t *testing.T) {
	cfg := testConfig(t)
	cfg.TestFaults = true
	app, logs := newTestApp(t, cfg, &fakeStore{})
	h := app.Handler()

	if rec := do(t, h, "POST", "/test/fault/liveness", ""); rec.Code != 200 {
		t.Fatalf("POST fault = %d", rec.Code)
	}
	if rec := do(t, h, "GET", "/healthz", ""); rec.Code != http.StatusInternalServerError {
		t.Fatalf("/healthz with fault = %d, want 500", rec.Code)
	}
	// Readiness is not affected by the liveness fault.
	if code, _ := readHealth(t, app); code != 200 {
		t.Fatalf("/api/health with liveness fault = %d, want 200", code)
	}
	if rec := do(t, h, "DELETE", "/test/fault/liveness", ""); rec.Code != 200 {
		t.Fatalf("DELETE fault = %d", rec.Code)
	}
	if rec := do(t, h, "GET", "/healthz", ""); rec.Code != 200 {
		t.Fatalf("/healthz after clearing = %d, want 200", rec.Code)
	}
	if rec := do(t, h, "GET", "/test/fault/liveness", ""); rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("GET fault = %d, want 405", rec.Code)
	}
	if !strings.Contains(logs.String(), "liveness forced to fail") {
		t.Fatalf("fault not logged:\n%s", logs.String())
	}
}
