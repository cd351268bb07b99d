package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Defaults of the clockwork server contract (see README.md).
const (
	defaultMigrationsDir = "server/migrations"
	defaultPort          = 8080
	defaultEnv           = "development"
	defaultStaticDir     = "client/dist"
)

// Config is the server configuration, read only from the environment.
type Config struct {
	DatabaseURL    string
	AutoMigrate    bool
	MigrationsDir  string
	Port           int
	Env            string
	StaticDir      string
	AllowedOrigins []string
	// TestFaults enables the test-only fault routes (CLOCKWORK_TEST_FAULTS=1).
	TestFaults bool
}

// ConfigError is returned for a missing or malformed variable; its message always
// names the variable and never contains a password.
type ConfigError struct {
	Var    string
	Reason string
}

func (e *ConfigError) Error() string { return e.Var + ": " + e.Reason }

// LoadConfig reads the configuration through getenv (os.Getenv in production).
// All problems are reported together, joined with errors.Join.
func LoadConfig(getenv func(string) string) (Config, error) {
	cfg := Config{
		MigrationsDir: defaultMigrationsDir,
		Port:          defaultPort,
		Env:           defaultEnv,
		StaticDir:     defaultStaticDir,
	}
	var errs []error
	fail := func(name, format string, args ...any) {
		errs = append(errs, &ConfigError{Var: name, Reason: fmt.Sprintf(format, args...)})
	}

	raw := strings.TrimSpace(getenv("DATABASE_URL"))
	if raw == "" {
		fail("DATABASE_URL", "is required (e.g. postgres://user:password@host:5432/clockwork?sslmode=disable)")
	} else if err := validateDatabaseURL(raw); err != nil {
		fail("DATABASE_URL", "is malformed: %v (expected postgres://user:password@host:5432/dbname)", err)
	} else {
		cfg.DatabaseURL = raw
	}

	if v := strings.TrimSpace(getenv("DB_AUTO_MIGRATE")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fail("DB_AUTO_MIGRATE", "must be true or false, got %q", v)
		}
		cfg.AutoMigrate = b
	}

	if v := strings.TrimSpace(getenv("MIGRATIONS_DIR")); v != "" {
		cfg.MigrationsDir = v
	}

	if v := strings.TrimSpace(getenv("PORT")); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			fail("PORT", "must be a TCP port number between 1 and 65535, got %q", v)
		} else {
			cfg.Port = p
		}
	}

	if v := strings.TrimSpace(getenv("ENV")); v != "" {
		switch v {
		case "development", "production":
			cfg.Env = v
		default:
			fail("ENV", "must be development or production, got %q", v)
		}
	}

	if v := strings.TrimSpace(getenv("STATIC_DIR")); v != "" {
		cfg.StaticDir = v
	}

	cfg.AllowedOrigins = parseCSV(getenv("ALLOWED_ORIGINS"))

	cfg.TestFaults = getenv("CLOCKWORK_TEST_FAULTS") == "1"

	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return cfg, nil
}

// validateDatabaseURL accepts postgres:// and postgresql:// URLs with a host (in the
// authority or as a host= query parameter, as libpq allows). Error messages never
// contain the URL itself, so a password cannot leak.
func validateDatabaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	switch u.Scheme {
	case "postgres", "postgresql":
	case "":
		return errors.New("no URL scheme; must start with postgres:// or postgresql://")
	default:
		return fmt.Errorf("scheme %q is not supported; must be postgres:// or postgresql://", u.Scheme)
	}
	if u.Opaque != "" {
		return errors.New("must be of the form postgres://host/dbname")
	}
	if u.Hostname() == "" && u.Query().Get("host") == "" {
		return errors.New("no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("invalid port %q", p)
		}
	}
	return nil
}

// redactURL returns the database URL with any password (in the user info or as a
// password= query parameter) replaced by "xxxxx".
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable>"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

func parseCSV(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}
