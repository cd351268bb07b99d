package main

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
)

// Integration test against a real PostgreSQL, run only when
// CLOCKWORK_TEST_DATABASE_URL points at a disposable database (its tables are dropped).
func TestPostgresIntegration(t *testing.T) {
	dsn := os.Getenv("CLOCKWORK_TEST_DATABASE_URL")
	if dsn == "" {
		t.Skip("CLOCKWORK_TEST_DATABASE_URL not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := openDB(dsn)
	must(t, err)
	defer db.Close()
	must(t, waitForDB(ctx, db, time.Second, nil))
	for _, tbl := range []string{"categories", "projects", "goose_db_version", "clockwork_failed_migration_probe"} {
		_, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+tbl+" CASCADE")
		must(t, err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	must(t, migrate(ctx, db, "server/migrations", log))
	must(t, migrate(ctx, db, "server/migrations", log)) // idempotent
	if v := dbVersion(t, db); v != 2 {
		t.Fatalf("goose version %d, want 2", v)
	}

	s := &pgStore{db: db}
	must(t, s.Ping(ctx))
	p, err := s.CreateProject(ctx, "Alpha", "first")
	must(t, err)
	_, err = s.CreateCategory(ctx, &p.ID, "Work", "#f00")
	must(t, err)
	_, err = s.CreateCategory(ctx, nil, "Loose", "")
	must(t, err)
	missing := int64(999999)
	if _, err := s.CreateCategory(ctx, &missing, "x", ""); !errors.Is(err, ErrProjectNotFound) {
		t.Fatalf("category of a missing project: %v", err)
	}
	ps, err := s.ListProjects(ctx)
	must(t, err)
	all, err := s.ListCategories(ctx, nil)
	must(t, err)
	mine, err := s.ListCategories(ctx, &p.ID)
	must(t, err)
	if len(ps) != 1 || len(all) != 2 || len(mine) != 1 || *mine[0].ProjectID != p.ID {
		t.Fatalf("projects %+v, categories %+v, of project %+v", ps, all, mine)
	}

	err = migrate(ctx, db, "migrations-failing", log)
	if err == nil || !strings.Contains(err.Error(), "00099_fail.sql") {
		t.Fatalf("failing migration: err = %v", err)
	}
	if v := dbVersion(t, db); v != 2 {
		t.Fatalf("goose version %d after the failed migration, want 2", v)
	}
	var probe sql.NullString
	must(t, db.QueryRowContext(ctx, "SELECT to_regclass('clockwork_failed_migration_probe')::text").Scan(&probe))
	if probe.Valid {
		t.Fatal("the failed migration was not rolled back")
	}
	if ps, _ := s.ListProjects(ctx); len(ps) != 1 {
		t.Fatalf("data lost after failed migration: %+v", ps)
	}
}

func dbVersion(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	var v int64
	must(t, db.QueryRow("SELECT max(version_id) FROM goose_db_version WHERE is_applied").Scan(&v))
	return v
}
