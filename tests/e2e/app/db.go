package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// openDB opens a connection pool; it does not connect yet (see waitForDB).
func openDB(databaseURL string) (*sql.DB, error) {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		// pgx's parse errors may quote the connection string; do not pass them on.
		return nil, errors.New("DATABASE_URL: cannot be parsed by the PostgreSQL driver")
	}
	db.SetMaxOpenConns(10)
	db.SetMaxIdleConns(5)
	db.SetConnMaxIdleTime(time.Minute)
	return db, nil
}

// waitForDB pings until the database answers or ctx ends.
func waitForDB(ctx context.Context, db *sql.DB, interval time.Duration, onRetry func(error)) error {
	for {
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err := db.PingContext(pctx)
		cancel()
		if err == nil {
			return nil
		}
		if onRetry != nil {
			onRetry(err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("database not reachable: %w", err)
		case <-time.After(interval):
		}
	}
}

// pgStore implements Store on PostgreSQL (tables from server/migrations).
type pgStore struct{ db *sql.DB }

func (s *pgStore) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

func (s *pgStore) CreateProject(ctx context.Context, name, description string) (Project, error) {
	p := Project{Name: name, Description: description}
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO projects (name, description) VALUES ($1, $2) RETURNING id, created_at`,
		name, description).Scan(&p.ID, &p.CreatedAt)
	return p, err
}

func (s *pgStore) ListProjects(ctx context.Context) ([]Project, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, name, description, created_at FROM projects ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Project{}
	for rows.Next() {
		var p Project
		if err := rows.Scan(&p.ID, &p.Name, &p.Description, &p.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (s *pgStore) CreateCategory(ctx context.Context, projectID *int64, name, color string) (Category, error) {
	c := Category{ProjectID: projectID, Name: name, Color: color}
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO categories (project_id, name, color) VALUES ($1, $2, $3) RETURNING id, created_at`,
		projectID, name, color).Scan(&c.ID, &c.CreatedAt)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" { // foreign_key_violation
		return Category{}, ErrProjectNotFound
	}
	return c, err
}

func (s *pgStore) ListCategories(ctx context.Context, projectID *int64) ([]Category, error) {
	q := `SELECT id, project_id, name, color, created_at FROM categories`
	var args []any
	if projectID != nil {
		q += ` WHERE project_id = $1`
		args = append(args, *projectID)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Category{}
	for rows.Next() {
		var c Category
		var pid sql.NullInt64
		if err := rows.Scan(&c.ID, &pid, &c.Name, &c.Color, &c.CreatedAt); err != nil {
			return nil, err
		}
		if pid.Valid {
			v := pid.Int64
			c.ProjectID = &v
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
