// Command clockwork is a contract double of the clockwork server: a small web server
// that honours exactly the configuration, endpoints and behaviour the clockwork Helm
// chart relies on (see README.md). It is the image used by the chart's e2e tests.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "dev"

// shutdownMode is set at build time. "graceful" (the default) drains on SIGTERM;
// "immediate" builds the broken-shutdown variant: it closes every connection and exits
// at once, dropping in-flight requests — what the e2e stage's rolling-update check must
// catch (go build -ldflags "-X main.shutdownMode=immediate").
var shutdownMode = "graceful"

const (
	shutdownTimeout = 20 * time.Second // below Kubernetes' default 30 s grace period
	lameDuck        = 3 * time.Second  // after SIGTERM: still serving, telling clients to close (long enough for a client stalled by a busy node to send once more)
	dbWaitTimeout   = 60 * time.Second // how long DB_AUTO_MIGRATE waits for the database
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		var cfgErr configError
		if errors.As(err, &cfgErr) {
			for _, line := range strings.Split(cfgErr.err.Error(), "\n") {
				fmt.Fprintf(os.Stderr, "clockwork: invalid configuration: %s\n", line)
			}
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "clockwork: %v\n", err)
		os.Exit(1)
	}
}

type configError struct{ err error }

func (e configError) Error() string { return "invalid configuration: " + e.err.Error() }
func (e configError) Unwrap() error { return e.err }

// run starts the server and blocks until ctx is cancelled (SIGTERM) and the drain ends.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return configError{err}
	}
	log := slog.New(slog.NewTextHandler(stdout, nil))
	log.Info("starting clockwork",
		"version", version,
		"env", cfg.Env,
		"port", cfg.Port,
		"database_url", redactURL(cfg.DatabaseURL),
		"db_auto_migrate", cfg.AutoMigrate,
		"migrations_dir", cfg.MigrationsDir,
		"static_dir", cfg.StaticDir,
		"allowed_origins", strings.Join(cfg.AllowedOrigins, ","),
		"test_faults", cfg.TestFaults,
		"shutdown", shutdownMode,
	)
	if cfg.TestFaults {
		log.Warn("CLOCKWORK_TEST_FAULTS=1: test-only fault routes enabled (POST/DELETE /test/fault/liveness)")
	}

	db, err := openDB(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	app := NewApp(cfg, &pgStore{db: db}, log, version)

	retries := 0
	logRetry := func(err error) {
		if retries%10 == 0 {
			log.Warn("waiting for database", "error", err.Error())
		}
		retries++
	}
	if cfg.AutoMigrate {
		wctx, cancel := context.WithTimeout(ctx, dbWaitTimeout)
		err := waitForDB(wctx, db, time.Second, logRetry)
		cancel()
		if err != nil {
			return fmt.Errorf("DB_AUTO_MIGRATE=true but %w", err)
		}
		app.noteDB(nil)
		if err := migrate(ctx, db, cfg.MigrationsDir, log); err != nil {
			return err
		}
	} else {
		// Serve regardless (liveness must not depend on the database); readiness
		// reports the database state. Log once the database is reachable.
		go func() {
			if waitForDB(ctx, db, 2*time.Second, logRetry) == nil {
				app.noteDB(nil)
			}
		}()
	}

	if st, err := os.Stat(cfg.StaticDir); err != nil || !st.IsDir() {
		log.Warn("STATIC_DIR is not a directory; static assets will answer 404", "static_dir", cfg.StaticDir)
	}

	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", cfg.Port))
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String())
	if shutdownMode == "immediate" {
		return serve(ctx, ln, app, 0, 0)
	}
	return serve(ctx, ln, app, lameDuck, shutdownTimeout)
}

// serve answers on ln until ctx is cancelled. Then, for lameDuck, it still serves but
// answers every request with "Connection: close", so clients on kept-alive connections
// move to other pods cleanly instead of racing a close of their idle connection; then
// it fails readiness, stops accepting and drains in-flight requests for at most drain.
// drain 0 is the broken-shutdown variant: every connection is closed at once,
// in-flight requests are dropped.
func serve(ctx context.Context, ln net.Listener, app *App, lameDuck, drain time.Duration) error {
	var closing atomic.Bool
	handler := app.Handler()
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if closing.Load() {
				w.Header().Set("Connection", "close")
			}
			handler.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(app.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}

	if drain > 0 && lameDuck > 0 {
		closing.Store(true)
		app.log.Info("shutdown signal received: serving with Connection: close before draining",
			"lame_duck", lameDuck.String())
		time.Sleep(lameDuck)
	}
	app.draining.Store(true)
	if drain <= 0 {
		app.log.Warn("shutdown signal received: exiting at once (broken-shutdown variant), in-flight requests dropped")
		_ = srv.Close()
		<-errc
		return nil
	}
	app.log.Info("shutdown signal received: readiness failing, no new connections, draining in-flight requests",
		"timeout", drain.String())
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		app.log.Warn("drain timed out; closing remaining connections", "error", err.Error())
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	app.log.Info("shutdown complete")
	return nil
}
