package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// When CLOCKWORK_RUN_MAIN=1 the test binary behaves as the real program, so the
// tests below can check exit codes and messages of main itself.
func TestMain(m *testing.M) {
	if os.Getenv("CLOCKWORK_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runMain(t *testing.T, env ...string) (exitCode int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append([]string{"CLOCKWORK_RUN_MAIN=1", "PATH=" + os.Getenv("PATH")}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errb.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errb.String()
	default:
		t.Fatal(err)
		return
	}
}

func TestMainExitsWithoutDatabaseURL(t *testing.T) {
	code, _, stderr := runMain(t)
	if code == 0 || !strings.Contains(stderr, "DATABASE_URL: is required") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestMainExitsOnMalformedDatabaseURL(t *testing.T) {
	code, stdout, stderr := runMain(t, "DATABASE_URL=mysql://root:hunter2@db/clockwork")
	if code == 0 || !strings.Contains(stderr, "DATABASE_URL: is malformed") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if strings.Contains(stdout+stderr, "hunter2") {
		t.Fatalf("password leaked: %q %q", stdout, stderr)
	}
}

func TestMainExitsOnBadEnv(t *testing.T) {
	code, _, stderr := runMain(t, "DATABASE_URL=postgres://db/x", "ENV=staging")
	if code == 0 || !strings.Contains(stderr, "ENV: must be development or production") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// With DB_AUTO_MIGRATE the server must not start serving when the database stays
// unreachable; here the context is already cancelled, so it fails at once.
func TestRunAutoMigrateNeedsDatabase(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	err := run(ctx, envMap(map[string]string{
		"DATABASE_URL":    "postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=1",
		"DB_AUTO_MIGRATE": "true",
	}), &out)
	if err == nil || !strings.Contains(err.Error(), "database not reachable") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(out.String(), "postgres://u:xxxxx@127.0.0.1:1/x") || strings.Contains(out.String(), "hunter2") {
		t.Fatalf("startup log should show the redacted URL only:\n%s", out.String())
	}
}
