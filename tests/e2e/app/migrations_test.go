package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var migrationName = regexp.MustCompile(`^\d{5}_[a-z0-9_]+\.sql$`)

func sqlFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	must(t, err)
	if len(files) == 0 {
		t.Fatalf("no migrations in %s", dir)
	}
	return files
}

// Every migration is a goose SQL migration: numbered file name, Up before Down.
func TestMigrationsAreGooseFormat(t *testing.T) {
	for _, dir := range []string{"server/migrations", "migrations-failing"} {
		for _, f := range sqlFiles(t, dir) {
			if !migrationName.MatchString(filepath.Base(f)) {
				t.Errorf("%s: name must look like 00001_name.sql", f)
			}
			b, err := os.ReadFile(f)
			must(t, err)
			s := string(b)
			up, down := strings.Index(s, "-- +goose Up"), strings.Index(s, "-- +goose Down")
			if up < 0 || down < 0 || down < up {
				t.Errorf("%s: needs '-- +goose Up' followed by '-- +goose Down'", f)
			}
		}
	}
}

// migrations-failing = the normal migrations, unchanged, plus one failing migration
// numbered after all of them.
func TestFailingSetIsNormalSetPlusOne(t *testing.T) {
	normal := sqlFiles(t, "server/migrations")
	failing := sqlFiles(t, "migrations-failing")
	if len(failing) != len(normal)+1 {
		t.Fatalf("migrations-failing has %d files, want %d (normal set + 1)", len(failing), len(normal)+1)
	}
	for i, f := range normal {
		if filepath.Base(failing[i]) != filepath.Base(f) {
			t.Fatalf("migrations-failing[%d] = %s, want %s", i, failing[i], filepath.Base(f))
		}
		a, _ := os.ReadFile(f)
		b, _ := os.ReadFile(failing[i])
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from %s; copy it again", failing[i], f)
		}
	}
	last := failing[len(failing)-1]
	if filepath.Base(last) != "00099_fail.sql" {
		t.Fatalf("last failing migration is %s, want 00099_fail.sql", last)
	}
}
