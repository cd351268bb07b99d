package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStaticShippedClient(t *testing.T) {
	app, _ := newTestApp(t, testConfig(t), &fakeStore{}) // STATIC_DIR default: client/dist
	h := app.Handler()
	rec := do(t, h, "GET", "/", "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "clockwork-client") ||
		!strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if rec.Header().Get("X-Clockwork-Version") != "1.2.3-test" {
		t.Fatalf("no version header on static assets")
	}
	for _, p := range []string{"/app.js", "/style.css"} {
		if rec := do(t, h, "GET", p, ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), "clockwork-client") {
			t.Fatalf("GET %s = %d", p, rec.Code)
		}
	}
	if rec := do(t, h, "HEAD", "/", ""); rec.Code != 200 {
		t.Fatalf("HEAD / = %d", rec.Code)
	}
	if rec := do(t, h, "POST", "/", "x"); rec.Code != 405 {
		t.Fatalf("POST / = %d, want 405", rec.Code)
	}
}

func TestStaticDirAndNoListing(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte("<p>custom-static</p>"), 0o644))
	must(t, os.MkdirAll(filepath.Join(dir, "assets"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "assets", "a.txt"), []byte("asset"), 0o644))
	cfg := testConfig(t)
	cfg.StaticDir = dir
	app, _ := newTestApp(t, cfg, &fakeStore{})
	h := app.Handler()

	if rec := do(t, h, "GET", "/", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), "custom-static") {
		t.Fatalf("GET / = %d %q", rec.Code, rec.Body.String())
	}
	if rec := do(t, h, "GET", "/assets/a.txt", ""); rec.Code != 200 || rec.Body.String() != "asset" {
		t.Fatalf("GET /assets/a.txt = %d", rec.Code)
	}
	if rec := do(t, h, "GET", "/assets/", ""); rec.Code != 404 {
		t.Fatalf("directory listing: GET /assets/ = %d, want 404", rec.Code)
	}
	if rec := do(t, h, "GET", "/missing.js", ""); rec.Code != 404 {
		t.Fatalf("GET /missing.js = %d", rec.Code)
	}
}

func TestStaticDirMissing(t *testing.T) {
	cfg := testConfig(t)
	cfg.StaticDir = filepath.Join(t.TempDir(), "nope")
	app, _ := newTestApp(t, cfg, &fakeStore{})
	if rec := do(t, app.Handler(), "GET", "/", ""); rec.Code != 404 {
		t.Fatalf("GET / with missing STATIC_DIR = %d, want 404", rec.Code)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
