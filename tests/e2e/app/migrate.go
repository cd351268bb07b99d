package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrate applies all pending goose migrations from dir (the same files and the same
// goose_db_version table the goose CLI uses). A PostgreSQL advisory lock serialises
// replicas that start at the same time with DB_AUTO_MIGRATE=true.
func migrate(ctx context.Context, db *sql.DB, dir string, log *slog.Logger) error {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("MIGRATIONS_DIR %q is not a readable directory", dir)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS(dir),
		goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("loading migrations from %s: %w", dir, err)
	}
	results, err := provider.Up(ctx)
	for _, r := range results {
		log.Info("migration applied", "file", r.Source.Path, "version", r.Source.Version, "duration", r.Duration.String())
	}
	if err != nil {
		var partial *goose.PartialError
		if errors.As(err, &partial) && partial.Failed != nil {
			return fmt.Errorf("migration %s failed: %w", partial.Failed.Source.Path, partial.Err)
		}
		return fmt.Errorf("applying migrations from %s: %w", dir, err)
	}
	version, err := provider.GetDBVersion(ctx)
	if err != nil {
		return err
	}
	log.Info("migrations applied", "dir", dir, "applied", len(results), "version", version)
	return nil
}
