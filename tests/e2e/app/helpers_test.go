package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeStore is an in-memory Store for handler tests.
type fakeStore struct {
	mu         sync.Mutex
	pingErr    error
	failWrites error
	projects   []Project
	categories []Category
	// block, when set, makes ListProjects wait for it to be closed (drain tests).
	block   chan struct{}
	entered chan struct{}
}

func (f *fakeStore) Ping(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pingErr
}

func (f *fakeStore) CreateProject(ctx context.Context, name, description string) (Project, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failWrites != nil {
		return Project{}, f.failWrites
	}
	p := Project{ID: int64(len(f.projects) + 1), Name: name, Description: description, CreatedAt: time.Unix(0, 0).UTC()}
	f.projects = append(f.projects, p)
	return p, nil
}

func (f *fakeStore) ListProjects(ctx context.Context) ([]Project, error) {
	if f.block != nil {
		if f.entered != nil {
			close(f.entered)
		}
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Project(nil), f.projects...), nil
}

func (f *fakeStore) CreateCategory(ctx context.Context, projectID *int64, name, color string) (Category, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failWrites != nil {
		return Category{}, f.failWrites
	}
	if projectID != nil && (*projectID < 1 || *projectID > int64(len(f.projects))) {
		return Category{}, ErrProjectNotFound
	}
	c := Category{ID: int64(len(f.categories) + 1), ProjectID: projectID, Name: name, Color: color, CreatedAt: time.Unix(0, 0).UTC()}
	f.categories = append(f.categories, c)
	return c, nil
}

func (f *fakeStore) ListCategories(ctx context.Context, projectID *int64) ([]Category, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Category
	for _, c := range f.categories {
		if projectID == nil || (c.ProjectID != nil && *c.ProjectID == *projectID) {
			out = append(out, c)
		}
	}
	return out, nil
}

var errDBDown = errors.New("dial tcp 10.0.0.1:5432: connect: connection refused")

// testConfig is a valid configuration with the defaults, for handler tests.
func testConfig(t *testing.T) Config {
	t.Helper()
	cfg, err := LoadConfig(envMap(map[string]string{"DATABASE_URL": "postgres://u:secret@db:5432/clockwork"}))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// newTestApp returns an App on store with a log buffer.
func newTestApp(t *testing.T, cfg Config, store Store) (*App, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&syncWriter{w: &buf}, nil))
	return NewApp(cfg, store, log, "1.2.3-test"), &buf
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// do sends one request through h and returns the recorded response.
func do(t *testing.T, h http.Handler, method, target, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
