// Command loadgen is chartgate's bounded in-cluster request loop for the e2e stage.
//
// It behaves like real clients of a Service: a few workers, each keeping its HTTP
// connection alive, GET one URL (-url, the readiness endpoint) and, for a share of the
// requests (-write-share), POST a new row to -write-url. A request fails on a transport
// error or a non-2xx answer. A request the transport had written and then silently
// replayed on a new connection (Go retries idempotent requests whose connection closed
// before the answer) also counts as failed: it was in flight when its server went away.
//
// The loop runs until the test says stop (POST /stop on the -control address, with the
// rollout window `from`/`to` and a `reason`), or a hard bound: -max-requests or
// -max-duration. Afterwards every row it created is read back with GET -write-url.
//
// Output: progress lines on stderr (LOADGEN_STARTED once counting), and one line
// `LOADGEN_RESULT {json}` on stdout: totals, failures, versions, the window's counts,
// the writes and the read-back. Exit codes: 0 done (the caller judges the counts),
// 2 bad flags, 3 the target never answered during warm-up.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strings"
	"sync"
	"time"
)

// StopByTest prefixes the stop reason when the test ended the loop.
const StopByTest = "stopped by the test: "

type config struct {
	url         string
	writeURL    string
	writeShare  float64
	maxRequests int
	maxDuration time.Duration
	rate        float64
	concurrency int
	timeout     time.Duration
	keepAlive   bool
	warmup      time.Duration
	control     string
	name        string
}

func parse(args []string) (config, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.url, "url", "", "URL to GET (required): the readiness endpoint of the Service")
	fs.StringVar(&c.writeURL, "write-url", "", "collection URL: POST creates a row, GET lists them (empty: no writes)")
	fs.Float64Var(&c.writeShare, "write-share", 0.2, "share of requests that are POST writes (0..1; only with -write-url)")
	fs.IntVar(&c.maxRequests, "max-requests", 20000, "hard upper bound on requests")
	fs.DurationVar(&c.maxDuration, "max-duration", 180*time.Second, "hard upper bound on time")
	fs.Float64Var(&c.rate, "rate", 50, "requests per second (all workers together)")
	fs.IntVar(&c.concurrency, "concurrency", 8, "parallel workers, one kept-alive connection each")
	fs.DurationVar(&c.timeout, "timeout", 5*time.Second, "per-request timeout")
	fs.BoolVar(&c.keepAlive, "keepalive", true, "reuse connections like real clients (false: one per request)")
	fs.DurationVar(&c.warmup, "warmup", 60*time.Second, "wait this long for a first success before counting")
	fs.StringVar(&c.control, "control", ":8081", "listen address of the control endpoint (POST /stop, GET /status)")
	fs.StringVar(&c.name, "name", "", "prefix of the rows it writes (default: the host name)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.name == "" {
		c.name, _ = os.Hostname()
	}
	switch {
	case c.url == "":
		return c, fmt.Errorf("-url is required")
	case c.maxRequests < 1 || c.maxDuration <= 0:
		return c, fmt.Errorf("-max-requests and -max-duration must be positive")
	case c.rate <= 0 || c.concurrency < 1:
		return c, fmt.Errorf("-rate and -concurrency must be positive")
	case c.writeShare < 0 || c.writeShare > 1:
		return c, fmt.Errorf("-write-share %g is not within 0..1", c.writeShare)
	}
	if c.writeURL == "" {
		c.writeShare = 0
	}
	return c, nil
}

// window is the rollout window the test reports with its stop request, and what the
// loop counted inside it (requests that started within [from, to]).
type window struct {
	From     string         `json:"from"`
	To       string         `json:"to"`
	Total    int            `json:"total"`
	Failed   int            `json:"failed"`
	Writes   int            `json:"writes"`
	Versions map[string]int `json:"versions"`
}

type writes struct {
	Created       int      `json:"created"`
	Failed        int      `json:"failed"`
	ReadBack      int      `json:"read_back"`
	Missing       []string `json:"missing"`
	ReadBackError string   `json:"read_back_error"`
}

type result struct {
	URL           string         `json:"url"`
	Total         int            `json:"total"`
	Failed        int            `json:"failed"`
	InFlightLost  int            `json:"in_flight_lost"`
	Versions      map[string]int `json:"versions"`
	Statuses      map[string]int `json:"statuses"`
	Errors        []string       `json:"errors"`
	StartedAt     string         `json:"started_at"`
	FinishedAt    string         `json:"finished_at"`
	Seconds       float64        `json:"seconds"`
	StopReason    string         `json:"stop_reason"`
	FirstVersion  string         `json:"first_version"`
	LastVersion   string         `json:"last_version"`
	WarmupSeconds float64        `json:"warmup_seconds"`
	Connections   int            `json:"connections"`
	Skipped       int            `json:"skipped_ticks"`
	Window        *window        `json:"window"`
	Writes        writes         `json:"writes"`
}

type outcome struct {
	at      time.Time
	write   bool
	ok      bool
	lost    bool // written, no answer, replayed by the transport
	status  int
	version string
	err     string
	row     row
}

type row struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type client struct {
	http  *http.Client
	mu    sync.Mutex
	conns int
}

func newClient(c config) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: c.timeout, KeepAlive: 30 * time.Second}).DialContext,
		DisableKeepAlives:   !c.keepAlive,
		MaxIdleConns:        c.concurrency,
		MaxIdleConnsPerHost: c.concurrency,
		IdleConnTimeout:     90 * time.Second,
	}
	return &client{http: &http.Client{Transport: tr, Timeout: c.timeout}}
}

// do sends one request. The trace tells whether the transport replayed a request it had
// already written (a connection closed under an in-flight request): that is a failure.
func (cl *client) do(method, url string, body []byte) (outcome, []byte) {
	o := outcome{at: time.Now(), write: method == http.MethodPost}
	// The transport calls the trace from its connection goroutines: guard the state.
	var (
		mu        sync.Mutex
		attempts  int
		written   bool
		answered  bool
		lostAfter bool
	)
	trace := &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			mu.Lock()
			attempts++
			if attempts > 1 && written && !answered {
				lostAfter = true
			}
			written, answered = false, false
			mu.Unlock()
			if !info.Reused {
				cl.mu.Lock()
				cl.conns++
				cl.mu.Unlock()
			}
		},
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			mu.Lock()
			written = info.Err == nil
			mu.Unlock()
		},
		GotFirstResponseByte: func() {
			mu.Lock()
			answered = true
			mu.Unlock()
		},
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), method, url, rd)
	if err != nil {
		o.err = err.Error()
		return o, nil
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := cl.http.Do(req)
	if err != nil {
		o.err = err.Error()
		return o, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	o.status = resp.StatusCode
	o.version = resp.Header.Get("X-Clockwork-Version")
	if o.version == "" && !o.write {
		var v struct {
			Version string `json:"version"`
		}
		if json.Unmarshal(data, &v) == nil {
			o.version = v.Version
		}
	}
	if o.version == "" {
		o.version = "unknown"
	}
	o.ok = resp.StatusCode >= 200 && resp.StatusCode < 300
	if !o.ok {
		o.err = fmt.Sprintf("HTTP %d: %.200s", resp.StatusCode, string(data))
	}
	mu.Lock()
	lost := lostAfter
	mu.Unlock()
	if lost {
		o.ok, o.lost = false, true
		o.err = fmt.Sprintf("%s %s was written on a connection that closed before it was answered "+
			"(in flight at shutdown; the transport replayed it, answer HTTP %d)", method, url, resp.StatusCode)
	}
	return o, data
}

type stopRequest struct {
	reason   string
	from, to time.Time
}

// loop is the running request loop; the control endpoint talks to it.
type loop struct {
	cfg      config
	cl       *client
	start    time.Time
	stop     chan stopRequest
	stopOnce sync.Once

	mu       sync.Mutex
	outcomes []outcome
	failed   int
}

func (l *loop) record(o outcome) {
	l.mu.Lock()
	l.outcomes = append(l.outcomes, o)
	if !o.ok {
		l.failed++
	}
	l.mu.Unlock()
}

func (l *loop) counts() (int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.outcomes), l.failed
}

// control serves POST /stop?reason=…&from=RFC3339&to=RFC3339 and GET /status.
func (l *loop) control() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /stop", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		req := stopRequest{reason: q.Get("reason")}
		var err error
		for _, p := range []struct {
			key string
			dst *time.Time
		}{{"from", &req.from}, {"to", &req.to}} {
			if v := q.Get(p.key); v != "" {
				if *p.dst, err = time.Parse(time.RFC3339Nano, v); err != nil {
					http.Error(w, fmt.Sprintf("%s=%q is not RFC 3339: %v", p.key, v, err), http.StatusBadRequest)
					return
				}
			}
		}
		if req.reason == "" {
			req.reason = "stop requested"
		}
		sent := false
		l.stopOnce.Do(func() { l.stop <- req; sent = true })
		total, failed := l.counts()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"stopping": sent, "total": total, "failed": failed})
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		total, failed := l.counts()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"total": total, "failed": failed,
			"seconds": time.Since(l.start).Seconds()})
	})
	return mux
}

func (l *loop) request(n int) outcome {
	c := l.cfg
	// writes spread evenly: request n writes when floor((n+1)·share) steps up
	if c.writeShare > 0 && int(float64(n+1)*c.writeShare) > int(float64(n)*c.writeShare) {
		name := fmt.Sprintf("%s-%d", c.name, n)
		body, _ := json.Marshal(map[string]string{"name": name, "description": "written by the e2e request loop"})
		o, data := l.cl.do(http.MethodPost, c.writeURL, body)
		if o.ok {
			if err := json.Unmarshal(data, &o.row); err != nil || o.row.ID == 0 {
				o.ok = false
				o.err = fmt.Sprintf("POST %s answered %d without a row id: %.200s", c.writeURL, o.status, data)
			}
		}
		return o
	}
	o, _ := l.cl.do(http.MethodGet, c.url, nil)
	return o
}

func run(c config, ln net.Listener) (result, int) {
	l := &loop{cfg: c, cl: newClient(c), stop: make(chan stopRequest, 1)}
	res := result{URL: c.url, Versions: map[string]int{}, Statuses: map[string]int{}, Errors: []string{},
		Writes: writes{Missing: []string{}}}
	if ln != nil {
		srv := &http.Server{Handler: l.control(), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer func() { // let a stop request's answer go out
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = srv.Shutdown(ctx)
		}()
	}

	// Warm-up: the Service must answer once before the loop counts anything.
	w0 := time.Now()
	for {
		o, _ := l.cl.do(http.MethodGet, c.url, nil)
		if o.ok {
			break
		}
		if time.Since(w0) > c.warmup {
			res.StopReason = "warm-up failed: " + o.err
			return res, 3
		}
		time.Sleep(500 * time.Millisecond)
	}
	res.WarmupSeconds = time.Since(w0).Seconds()
	l.start = time.Now()
	res.StartedAt = l.start.UTC().Format(time.RFC3339Nano)
	fmt.Fprintln(os.Stderr, "LOADGEN_STARTED")

	deadline := time.NewTimer(c.maxDuration)
	defer deadline.Stop()
	tick := time.NewTicker(time.Duration(float64(time.Second) / c.rate))
	defer tick.Stop()
	progress := time.NewTicker(5 * time.Second)
	defer progress.Stop()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < c.concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range jobs {
				l.record(l.request(n))
			}
		}()
	}

	var stopReq *stopRequest
	sent := 0
loop:
	for {
		select {
		case <-deadline.C:
			res.StopReason = "max-duration"
			break loop
		case s := <-l.stop:
			stopReq = &s
			res.StopReason = StopByTest + s.reason
			break loop
		case <-progress.C:
			total, failed := l.counts()
			fmt.Fprintf(os.Stderr, "LOADGEN_PROGRESS +%.0fs total=%d failed=%d\n",
				time.Since(l.start).Seconds(), total, failed)
		case <-tick.C:
			if sent >= c.maxRequests {
				res.StopReason = "max-requests"
				break loop
			}
			select {
			case jobs <- sent:
				sent++
			default: // all workers busy: skip this tick rather than queue unboundedly
				res.Skipped++
			}
		}
	}
	l.stopOnce.Do(func() {}) // later stop requests only report
	close(jobs)
	wg.Wait()
	end := time.Now()
	res.FinishedAt = end.UTC().Format(time.RFC3339Nano)
	res.Seconds = end.Sub(l.start).Seconds()
	summarize(&res, l.outcomes, l.start, stopReq)
	res.Connections = l.cl.conns
	if c.writeURL != "" {
		readBack(l.cl, c.writeURL, l.outcomes, &res.Writes)
	}
	return res, 0
}

func summarize(res *result, outcomes []outcome, start time.Time, stop *stopRequest) {
	if stop != nil && !stop.from.IsZero() {
		to := stop.to
		if to.IsZero() {
			to = time.Now()
		}
		res.Window = &window{From: stop.from.UTC().Format(time.RFC3339Nano), To: to.UTC().Format(time.RFC3339Nano),
			Versions: map[string]int{}}
	}
	for _, o := range outcomes {
		res.Total++
		if o.status != 0 {
			res.Statuses[fmt.Sprint(o.status)]++
		} else {
			res.Statuses["error"]++
		}
		if o.lost {
			res.InFlightLost++
		}
		inWindow := res.Window != nil && !o.at.Before(stop.from) &&
			(stop.to.IsZero() || !o.at.After(stop.to))
		if inWindow {
			res.Window.Total++
			if o.write {
				res.Window.Writes++
			}
		}
		if o.write {
			if o.ok {
				res.Writes.Created++
			} else {
				res.Writes.Failed++
			}
		}
		if !o.ok {
			res.Failed++
			if inWindow {
				res.Window.Failed++
			}
			if len(res.Errors) < 20 {
				res.Errors = append(res.Errors, fmt.Sprintf("+%.3fs %s", o.at.Sub(start).Seconds(), o.err))
			}
			continue
		}
		if o.write {
			continue
		}
		res.Versions[o.version]++
		if inWindow {
			res.Window.Versions[o.version]++
		}
		if res.FirstVersion == "" {
			res.FirstVersion = o.version
		}
		res.LastVersion = o.version
	}
}

// readBack lists the collection once (three attempts, the rollout is over) and reports
// every row the loop created that the list lacks.
func readBack(cl *client, url string, outcomes []outcome, w *writes) {
	var (
		listed []row
		err    error
	)
	for attempt := 0; attempt < 3; attempt++ {
		o, data := cl.do(http.MethodGet, url, nil)
		if o.ok {
			listed = nil
			if err = json.Unmarshal(data, &listed); err == nil {
				break
			}
			err = fmt.Errorf("GET %s: not a JSON array of rows: %v", url, err)
		} else {
			err = errors.New("GET " + url + ": " + o.err)
		}
		time.Sleep(time.Second)
	}
	if err != nil {
		w.ReadBackError = err.Error()
		return
	}
	have := make(map[int64]string, len(listed))
	for _, r := range listed {
		have[r.ID] = r.Name
	}
	for _, o := range outcomes {
		if !o.write || !o.ok {
			continue
		}
		if name, ok := have[o.row.ID]; ok && name == o.row.Name {
			w.ReadBack++
		} else if len(w.Missing) < 20 {
			w.Missing = append(w.Missing, fmt.Sprintf("%d %s", o.row.ID, o.row.Name))
		}
	}
}

func main() {
	c, err := parse(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	var ln net.Listener
	if c.control != "" {
		if ln, err = net.Listen("tcp", c.control); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen: control endpoint:", err)
			os.Exit(2)
		}
	}
	res, code := run(c, ln)
	fmt.Fprintf(os.Stderr, "LOADGEN_DONE total=%d failed=%d reason=%s\n", res.Total, res.Failed,
		strings.ReplaceAll(res.StopReason, "\n", " "))
	out, _ := json.Marshal(res)
	fmt.Printf("LOADGEN_RESULT %s\n", out)
	os.Exit(code)
}
