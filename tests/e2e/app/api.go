package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	maxBodyBytes = 1 << 20
	maxNameLen   = 200
)

type createProjectRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type createCategoryRequest struct {
	Name      string `json:"name"`
	ProjectID *int64 `json:"project_id"`
	Color     string `json:"color"`
}

// POST /api/projects {"name": "...", "description": "..."} -> 201 Project
func (a *App) handleCreateProject(w http.ResponseWriter, r *http.Request) {
	var req createProjectRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	name, ok := validName(w, req.Name)
	if !ok {
		return
	}
	p, err := a.store.CreateProject(r.Context(), name, strings.TrimSpace(req.Description))
	if err != nil {
		a.dbError(w, "create project", err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

// GET /api/projects -> 200 [Project...]
func (a *App) handleListProjects(w http.ResponseWriter, r *http.Request) {
	ps, err := a.store.ListProjects(r.Context())
	if err != nil {
		a.dbError(w, "list projects", err)
		return
	}
	if ps == nil {
		ps = []Project{}
	}
	writeJSON(w, http.StatusOK, ps)
}

// POST /api/categories {"name": "...", "project_id": 1 (optional), "color": "..."} -> 201 Category
func (a *App) handleCreateCategory(w http.ResponseWriter, r *http.Request) {
	var req createCategoryRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	name, ok := validName(w, req.Name)
	if !ok {
		return
	}
	if req.ProjectID != nil && *req.ProjectID < 1 {
		writeError(w, http.StatusBadRequest, "project_id must be a positive integer")
		return
	}
	c, err := a.store.CreateCategory(r.Context(), req.ProjectID, name, strings.TrimSpace(req.Color))
	if errors.Is(err, ErrProjectNotFound) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("project %d does not exist", *req.ProjectID))
		return
	}
	if err != nil {
		a.dbError(w, "create category", err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

// GET /api/categories[?project_id=N] -> 200 [Category...]
func (a *App) handleListCategories(w http.ResponseWriter, r *http.Request) {
	var projectID *int64
	if v := r.URL.Query().Get("project_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			writeError(w, http.StatusBadRequest, "project_id must be a positive integer")
			return
		}
		projectID = &id
	}
	cs, err := a.store.ListCategories(r.Context(), projectID)
	if err != nil {
		a.dbError(w, "list categories", err)
		return
	}
	if cs == nil {
		cs = []Category{}
	}
	writeJSON(w, http.StatusOK, cs)
}

func (a *App) dbError(w http.ResponseWriter, op string, err error) {
	a.log.Error("database error", "op", op, "error", err.Error())
	writeError(w, http.StatusInternalServerError, "database error: "+op)
}

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err := dec.Decode(v); err != nil {
		msg := "invalid JSON body"
		if errors.Is(err, io.EOF) {
			msg = "request body is empty; expected a JSON object"
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
			return false
		}
		writeError(w, http.StatusBadRequest, msg)
		return false
	}
	return true
}

func validName(w http.ResponseWriter, raw string) (string, bool) {
	name := strings.TrimSpace(raw)
	switch {
	case name == "":
		writeError(w, http.StatusBadRequest, "name is required")
		return "", false
	case utf8.RuneCountInString(name) > maxNameLen:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("name must be at most %d characters", maxNameLen))
		return "", false
	}
	return name, true
}
