package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestGracefulDrain: on cancel (SIGTERM) readiness fails at once, new connections are
// refused, and an in-flight request still completes before serve returns.
func TestGracefulDrain(t *testing.T) {
	store := &fakeStore{block: make(chan struct{}), entered: make(chan struct{})}
	srv := startServe(t, store, 0, 10*time.Second)
	app, addr, logs, cancel, done := srv.app, srv.addr, srv.logs, srv.cancel, srv.done

	type result struct {
		code int
		body string
		err  error
	}
	inflight := make(chan result, 1)
	go func() {
		resp, err := http.Get(addr + "/api/projects") // blocks in the store
		if err != nil {
			inflight <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		inflight <- result{code: resp.StatusCode, body: string(b)}
	}()
	select {
	case <-store.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("in-flight request never reached the handler")
	}

	cancel() // SIGTERM
	deadline := time.Now().Add(5 * time.Second)
	for !app.draining.Load() {
		if time.Now().After(deadline) {
			t.Fatal("readiness did not start failing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if code, h := readHealth(t, app); code != http.StatusServiceUnavailable || h.Status != "draining" {
		t.Fatalf("readiness while draining: %d %+v", code, h)
	}
	// The listener is closed: new connections are refused.
	deadline = time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", srv.hostport, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting new connections while draining")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("serve returned before the in-flight request finished: %v", err)
	default:
	}

	close(store.block) // let the in-flight request finish
	r := <-inflight
	if r.err != nil || r.code != 200 || strings.TrimSpace(r.body) != "[]" {
		t.Fatalf("in-flight request: %+v", r)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after the drain")
	}
	for _, want := range []string{"shutdown signal received", "shutdown complete"} {
		if !strings.Contains(logs.String(), want) {
			t.Fatalf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

// TestImmediateShutdownDropsInFlight: the broken-shutdown variant (drain 0) closes an
// in-flight request's connection on cancel instead of answering it.
func TestImmediateShutdownDropsInFlight(t *testing.T) {
	store := &fakeStore{block: make(chan struct{}), entered: make(chan struct{})}
	defer close(store.block)
	srv := startServe(t, store, 0, 0)
	addr, logs, cancel, done := srv.addr, srv.logs, srv.cancel, srv.done

	inflight := make(chan error, 1)
	go func() {
		resp, err := http.Get(addr + "/api/projects") // blocks in the store
		if err == nil {
			resp.Body.Close()
			err = nil
			if resp.StatusCode == http.StatusOK {
				inflight <- nil
				return
			}
		}
		inflight <- err
	}()
	select {
	case <-store.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("in-flight request never reached the handler")
	}
	cancel() // SIGTERM
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return at once")
	}
	select {
	case err := <-inflight:
		if err == nil {
			t.Fatal("the in-flight request was answered 200; the variant must drop it")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the in-flight request neither failed nor finished")
	}
	if !strings.Contains(logs.String(), "exiting at once") {
		t.Fatalf("log lacks the broken-shutdown line:\n%s", logs.String())
	}
}

// TestLameDuckClosesKeptAliveConnections: after cancel, for the lame-duck period the
// server still answers (readiness 200) but with "Connection: close", so a client on a
// kept-alive connection is told to move on before the listener and idle connections close.
func TestLameDuckClosesKeptAliveConnections(t *testing.T) {
	srv := startServe(t, &fakeStore{}, 500*time.Millisecond, 5*time.Second)
	addr, cancel, done := srv.addr, srv.cancel, srv.done

	resp, err := http.Get(addr + "/api/health")
	must(t, err)
	resp.Body.Close()
	if resp.Close || resp.StatusCode != http.StatusOK {
		t.Fatalf("before cancel: status %d, close %v", resp.StatusCode, resp.Close)
	}
	cancel()
	time.Sleep(100 * time.Millisecond)
	resp, err = http.Get(addr + "/api/health")
	must(t, err)
	resp.Body.Close()
	if !resp.Close || resp.StatusCode != http.StatusOK {
		t.Fatalf("in the lame-duck period: status %d, close %v (want 200 and Connection: close)",
			resp.StatusCode, resp.Close)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after the lame-duck period")
	}
}

// served is serve running in the background on a loopback port.
type served struct {
	app      *App
	addr     string // base URL
	hostport string
	logs     *bytes.Buffer
	cancel   context.CancelFunc // stands for SIGTERM
	done     chan error         // serve's result
}

// startServe runs serve (lame duck, drain) on a loopback port in the background.
func startServe(t *testing.T, store Store, lameDuck, drain time.Duration) served {
	t.Helper()
	app, logs := newTestApp(t, testConfig(t), store)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, app, lameDuck, drain) }()
	return served{app, "http://" + ln.Addr().String(), ln.Addr().String(), logs, cancel, done}
}
