package main

import (
	"context"
	"net/http"
	"time"
)

const readinessTimeout = 2 * time.Second

// Database states as seen by readiness checks, used to log transitions once.
const (
	dbUnknown int32 = iota
	dbOK
	dbDown
)

// handleLiveness is GET /healthz: 200 "ok" unless the test fault switch is on.
// It never touches the database, so a database outage does not restart the pod.
func (a *App) handleLiveness(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if a.livenessFault.Load() {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("liveness fault injected"))
		return
	}
	_, _ = w.Write([]byte("ok"))
}

type healthResponse struct {
	Status   string `json:"status"`
	Version  string `json:"version"`
	Database string `json:"database"`
	Error    string `json:"error,omitempty"`
}

// handleReadiness is GET /api/health: pings the database; 503 while it is unreachable
// or while the server is draining after SIGTERM.
func (a *App) handleReadiness(w http.ResponseWriter, r *http.Request) {
	if a.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable,
			healthResponse{Status: "draining", Version: a.version, Database: "unknown"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readinessTimeout)
	defer cancel()
	if err := a.store.Ping(ctx); err != nil {
		a.noteDB(err)
		writeJSON(w, http.StatusServiceUnavailable,
			healthResponse{Status: "unavailable", Version: a.version, Database: "unreachable", Error: err.Error()})
		return
	}
	a.noteDB(nil)
	writeJSON(w, http.StatusOK, healthResponse{Status: "ok", Version: a.version, Database: "ok"})
}

// noteDB logs database state changes ("database connection ok" / "database unreachable").
func (a *App) noteDB(err error) {
	next := dbOK
	if err != nil {
		next = dbDown
	}
	prev := a.dbState.Swap(next)
	switch {
	case prev == next:
	case next == dbOK:
		a.log.Info("database connection ok")
	case prev == dbOK: // only log an outage after having been connected
		a.log.Warn("database unreachable", "error", err.Error())
	}
}

// Test-only fault switch (registered only when CLOCKWORK_TEST_FAULTS=1).

func (a *App) handleSetLivenessFault(w http.ResponseWriter, r *http.Request) {
	a.livenessFault.Store(true)
	a.log.Warn("test fault: liveness forced to fail (GET /healthz now answers 500)")
	writeJSON(w, http.StatusOK, map[string]bool{"liveness_fault": true})
}

func (a *App) handleClearLivenessFault(w http.ResponseWriter, r *http.Request) {
	a.livenessFault.Store(false)
	a.log.Warn("test fault: liveness fault cleared")
	writeJSON(w, http.StatusOK, map[string]bool{"liveness_fault": false})
}
