package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
)

// App holds the server state shared by the handlers.
type App struct {
	cfg     Config
	store   Store
	log     *slog.Logger
	version string

	draining      atomic.Bool // set on SIGTERM: readiness fails from then on
	livenessFault atomic.Bool // test-only: /healthz answers 500 while set
	dbState       atomic.Int32
}

func NewApp(cfg Config, store Store, log *slog.Logger, version string) *App {
	return &App{cfg: cfg, store: store, log: log, version: version}
}

type route struct {
	method, path string
	handler      http.HandlerFunc
}

// routes lists every API route; the fault routes exist only when
// CLOCKWORK_TEST_FAULTS=1, otherwise those paths answer 404 like any unknown path.
func (a *App) routes() []route {
	rs := []route{
		{"GET", "/healthz", a.handleLiveness},
		{"GET", "/api/health", a.handleReadiness},
		{"POST", "/api/projects", a.handleCreateProject},
		{"GET", "/api/projects", a.handleListProjects},
		{"POST", "/api/categories", a.handleCreateCategory},
		{"GET", "/api/categories", a.handleListCategories},
	}
	if a.cfg.TestFaults {
		rs = append(rs,
			route{"POST", "/test/fault/liveness", a.handleSetLivenessFault},
			route{"DELETE", "/test/fault/liveness", a.handleClearLivenessFault},
		)
	}
	return rs
}

// Handler returns the complete HTTP handler: routes wrapped in the version header and
// CORS middleware.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	allow := map[string][]string{} // path -> methods, for 405 answers
	for _, r := range a.routes() {
		mux.HandleFunc(r.method+" "+r.path, r.handler)
		allow[r.path] = append(allow[r.path], r.method)
	}
	mux.Handle("/", a.fallback(allow, newStaticHandler(a.cfg.StaticDir)))
	return a.withVersion(newCORS(a.cfg.AllowedOrigins).wrap(mux))
}

// fallback answers everything no route matched: 405 for a known path with another
// method, JSON 404 for unknown API or test paths, static assets for GET/HEAD, and 405
// for other methods.
func (a *App) fallback(allow map[string][]string, static http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if methods, ok := allow[p]; ok {
			methods = slices.Clone(methods)
			if slices.Contains(methods, "GET") {
				methods = append(methods, "HEAD")
			}
			w.Header().Set("Allow", strings.Join(methods, ", "))
			writeError(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		if p == "/api" || strings.HasPrefix(p, "/api/") || p == "/test" || strings.HasPrefix(p, "/test/") {
			writeError(w, http.StatusNotFound, "not found")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		static.ServeHTTP(w, r)
	})
}

func (a *App) withVersion(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Clockwork-Version", a.version)
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
