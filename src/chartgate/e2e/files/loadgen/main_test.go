package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeServer stands in for the clockwork Service: GET /api/health with a version,
// POST/GET /api/projects over an in-memory table. dropFromList hides rows from the list;
// killGet, when set, makes that GET (1-based) close its connection unanswered.
type fakeServer struct {
	mu           sync.Mutex
	rows         []row
	gets         atomic.Int64
	killGet      int64
	dropFromList bool
}

func (f *fakeServer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/health", func(w http.ResponseWriter, r *http.Request) {
		if n := f.gets.Add(1); n == f.killGet {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.Header().Set("X-Clockwork-Version", "1.0.0")
		fmt.Fprint(w, `{"status":"ok","version":"1.0.0"}`)
	})
	mux.HandleFunc("POST /api/projects", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Name string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		rw := row{ID: int64(len(f.rows) + 1), Name: in.Name}
		f.rows = append(f.rows, rw)
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(rw)
	})
	mux.HandleFunc("GET /api/projects", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		out := append([]row{}, f.rows...)
		f.mu.Unlock()
		if f.dropFromList && len(out) > 0 {
			out = out[1:]
		}
		_ = json.NewEncoder(w).Encode(out)
	})
	return mux
}

func testConfig(t *testing.T, base string) config {
	t.Helper()
	c, err := parse([]string{"-url=" + base + "/api/health", "-write-url=" + base + "/api/projects",
		"-rate=400", "-concurrency=4", "-max-duration=20s", "-name=t"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runStopped runs the loop, asks it to stop over the control endpoint after `after`
// with a window covering the middle of the run, and returns the result.
func runStopped(t *testing.T, c config, after time.Duration) result {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan result, 1)
	go func() {
		res, _ := run(c, ln)
		done <- res
	}()
	time.Sleep(after / 4)
	from := time.Now()
	time.Sleep(after / 2)
	to := time.Now()
	time.Sleep(after / 4)
	q := url.Values{"reason": {"every old pod gone"}, "from": {from.UTC().Format(time.RFC3339Nano)},
		"to": {to.UTC().Format(time.RFC3339Nano)}}
	ctl := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	resp, err := ctl.Post("http://"+ln.Addr().String()+"/stop?"+q.Encode(), "", nil)
	if err != nil {
		select {
		case res := <-done:
			t.Fatalf("POST /stop: %v; the loop had ended: %+v", err, res)
		case <-time.After(time.Second):
		}
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /stop: %d", resp.StatusCode)
	}
	select {
	case res := <-done:
		return res
	case <-time.After(15 * time.Second):
		t.Fatal("the loop did not stop")
	}
	return result{}
}

func TestStoppedByTheTestWithWindowAndReadBack(t *testing.T) {
	f := &fakeServer{}
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	res := runStopped(t, testConfig(t, srv.URL), 800*time.Millisecond)

	if res.StopReason != StopByTest+"every old pod gone" {
		t.Fatalf("stop reason %q", res.StopReason)
	}
	if res.Failed != 0 || res.Total < 50 {
		t.Fatalf("total %d failed %d: %v", res.Total, res.Failed, res.Errors)
	}
	if res.Window == nil || res.Window.Total == 0 || res.Window.Total >= res.Total {
		t.Fatalf("window %+v of %d requests", res.Window, res.Total)
	}
	if res.Writes.Created == 0 || res.Writes.ReadBack != res.Writes.Created || len(res.Writes.Missing) != 0 {
		t.Fatalf("writes %+v", res.Writes)
	}
	share := float64(res.Writes.Created) / float64(res.Total)
	if share < 0.15 || share > 0.25 {
		t.Fatalf("write share %.2f, want about 0.2", share)
	}
	if res.Versions["1.0.0"] == 0 || res.FirstVersion != "1.0.0" || res.LastVersion != "1.0.0" {
		t.Fatalf("versions %v first %q last %q", res.Versions, res.FirstVersion, res.LastVersion)
	}
	if res.Connections > 4 {
		t.Fatalf("%d connections for 4 kept-alive workers", res.Connections)
	}
}

// A GET whose connection closes after the request was written is replayed by Go's
// transport and succeeds on a new connection: the loop must still count it as failed.
func TestInFlightRequestLostAtCloseIsAFailure(t *testing.T) {
	f := &fakeServer{killGet: 20}
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	c := testConfig(t, srv.URL)
	c.writeShare, c.writeURL = 0, ""
	res := runStopped(t, c, 400*time.Millisecond)
	if res.Failed != 1 || res.InFlightLost != 1 {
		t.Fatalf("failed %d, in flight lost %d (want 1 and 1): %v", res.Failed, res.InFlightLost, res.Errors)
	}
	if !strings.Contains(res.Errors[0], "closed before it was answered") {
		t.Fatalf("error %q", res.Errors[0])
	}
}

func TestRefusedConnectionsAreFailures(t *testing.T) {
	f := &fakeServer{}
	srv := httptest.NewServer(f.handler())
	c := testConfig(t, srv.URL)
	c.writeShare, c.writeURL, c.maxDuration = 0, "", 600*time.Millisecond
	done := make(chan result, 1)
	go func() {
		res, _ := run(c, nil)
		done <- res
	}()
	time.Sleep(200 * time.Millisecond)
	srv.CloseClientConnections()
	srv.Close()
	res := <-done
	if res.StopReason != "max-duration" || res.Failed == 0 {
		t.Fatalf("stop %q, failed %d of %d", res.StopReason, res.Failed, res.Total)
	}
}

func TestBoundedByMaxRequests(t *testing.T) {
	f := &fakeServer{}
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	c := testConfig(t, srv.URL)
	c.maxRequests = 30
	res, code := run(c, nil)
	if code != 0 || res.StopReason != "max-requests" || res.Total != 30 {
		t.Fatalf("code %d stop %q total %d", code, res.StopReason, res.Total)
	}
}

func TestReadBackReportsMissingRows(t *testing.T) {
	f := &fakeServer{dropFromList: true}
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	res := runStopped(t, testConfig(t, srv.URL), 300*time.Millisecond)
	if len(res.Writes.Missing) != 1 || !strings.HasPrefix(res.Writes.Missing[0], "1 t-") {
		t.Fatalf("missing %v (writes %+v)", res.Writes.Missing, res.Writes)
	}
}

func TestWarmupFailure(t *testing.T) {
	c, err := parse([]string{"-url=http://127.0.0.1:1/api/health", "-warmup=300ms",
		"-control="})
	if err != nil {
		t.Fatal(err)
	}
	res, code := run(c, nil)
	if code != 3 || !strings.HasPrefix(res.StopReason, "warm-up failed") {
		t.Fatalf("code %d stop %q", code, res.StopReason)
	}
}

func TestParseRejects(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-url=http://x", "-write-url=http://x", "-write-share=2"},
		{"-url=http://x", "-write-share=0", "-rate=0"},
		{"-url=http://x", "-write-share=0", "-max-requests=0"},
	} {
		if _, err := parse(args); err == nil {
			t.Errorf("parse(%v) accepted", args)
		}
	}
}
