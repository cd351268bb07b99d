package main

import (
	"context"
	"errors"
	"time"
)

// Project is a row of the projects table.
type Project struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
}

// Category is a row of the categories table; it may belong to a project.
type Category struct {
	ID        int64     `json:"id"`
	ProjectID *int64    `json:"project_id"`
	Name      string    `json:"name"`
	Color     string    `json:"color"`
	CreatedAt time.Time `json:"created_at"`
}

// ErrProjectNotFound is returned when a category refers to a project that does not exist.
var ErrProjectNotFound = errors.New("project not found")

// Store is what the HTTP layer needs from the database; unit tests use a fake.
type Store interface {
	Ping(ctx context.Context) error
	CreateProject(ctx context.Context, name, description string) (Project, error)
	ListProjects(ctx context.Context) ([]Project, error)
	CreateCategory(ctx context.Context, projectID *int64, name, color string) (Category, error)
	// ListCategories lists all categories, or only those of projectID when it is non-nil.
	ListCategories(ctx context.Context, projectID *int64) ([]Category, error)
}
