package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
	return v
}

func TestProjectsAndCategories(t *testing.T) {
	app, _ := newTestApp(t, testConfig(t), &fakeStore{})
	h := app.Handler()

	rec := do(t, h, "GET", "/api/projects", "")
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Fatalf("empty list = %d %q, want 200 []", rec.Code, rec.Body.String())
	}

	rec = do(t, h, "POST", "/api/projects", `{"name":"  Alpha  ","description":"first"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create project = %d %s", rec.Code, rec.Body.String())
	}
	p := decode[Project](t, rec.Body.Bytes())
	if p.ID != 1 || p.Name != "Alpha" || p.Description != "first" {
		t.Fatalf("created %+v", p)
	}

	rec = do(t, h, "POST", "/api/categories", `{"name":"Work","project_id":1,"color":"#f00"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create category = %d %s", rec.Code, rec.Body.String())
	}
	c := decode[Category](t, rec.Body.Bytes())
	if c.ProjectID == nil || *c.ProjectID != 1 || c.Name != "Work" || c.Color != "#f00" {
		t.Fatalf("created %+v", c)
	}
	rec = do(t, h, "POST", "/api/categories", `{"name":"Loose"}`)
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), `"project_id":null`) {
		t.Fatalf("create category without project = %d %s", rec.Code, rec.Body.String())
	}

	if ps := decode[[]Project](t, do(t, h, "GET", "/api/projects", "").Body.Bytes()); len(ps) != 1 || ps[0].Name != "Alpha" {
		t.Fatalf("projects %+v", ps)
	}
	if cs := decode[[]Category](t, do(t, h, "GET", "/api/categories", "").Body.Bytes()); len(cs) != 2 {
		t.Fatalf("categories %+v", cs)
	}
	if cs := decode[[]Category](t, do(t, h, "GET", "/api/categories?project_id=1", "").Body.Bytes()); len(cs) != 1 || cs[0].Name != "Work" {
		t.Fatalf("categories of project 1 %+v", cs)
	}
}

func TestAPIValidation(t *testing.T) {
	app, _ := newTestApp(t, testConfig(t), &fakeStore{})
	h := app.Handler()
	cases := []struct {
		method, target, body string
		code                 int
		errSub               string
	}{
		{"POST", "/api/projects", `{"name":""}`, 400, "name is required"},
		{"POST", "/api/projects", `{"name":"   "}`, 400, "name is required"},
		{"POST", "/api/projects", `{"name":"` + strings.Repeat("x", 201) + `"}`, 400, "at most 200"},
		{"POST", "/api/projects", `{"name":`, 400, "invalid JSON"},
		{"POST", "/api/projects", ``, 400, "empty"},
		{"POST", "/api/projects", `{"name":"` + strings.Repeat("x", 2<<20) + `"}`, 413, "too large"},
		{"POST", "/api/categories", `{"name":"c","project_id":42}`, 400, "project 42 does not exist"},
		{"POST", "/api/categories", `{"name":"c","project_id":0}`, 400, "positive integer"},
		{"GET", "/api/categories?project_id=abc", ``, 400, "positive integer"},
		{"GET", "/api/nope", ``, 404, "not found"},
		{"PUT", "/api/projects", `{}`, 405, ""},
	}
	for _, c := range cases {
		rec := do(t, h, c.method, c.target, c.body)
		if rec.Code != c.code || !strings.Contains(rec.Body.String(), c.errSub) {
			body := rec.Body.String()
			if len(body) > 200 {
				body = body[:200]
			}
			t.Errorf("%s %s: got %d %q, want %d containing %q", c.method, c.target, rec.Code, body, c.code, c.errSub)
		}
	}
}

func TestAPIDatabaseError(t *testing.T) {
	app, logs := newTestApp(t, testConfig(t), &fakeStore{failWrites: errors.New("relation \"projects\" does not exist")})
	rec := do(t, app.Handler(), "POST", "/api/projects", `{"name":"x"}`)
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "database error") {
		t.Fatalf("got %d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), `relation \"projects\" does not exist`) {
		t.Fatalf("database error not logged:\n%s", logs.String())
	}
}
