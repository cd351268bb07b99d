// Command loadgen is chartgate's bounded in-cluster request loop for the e2e stage.
//
// It GETs one URL (normally a Service, from inside the cluster) at a fixed rate and
// reports how many requests it sent, how many failed (transport error or non-2xx) and
// which versions answered (X-Clockwork-Version header, else a JSON "version" field).
// It is always bounded: -max-requests and -max-duration are hard limits. It stops
// earlier when -min-requests and -min-duration are met and, with -until-version, only
// that version has answered for -settle.
//
// Output: progress lines on stderr, and one line `LOADGEN_RESULT {json}` on stdout.
// Exit codes: 0 done (the caller judges the counts), 2 bad flags, 3 target never
// answered during warm-up.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

type result struct {
	URL           string         `json:"url"`
	Total         int            `json:"total"`
	Failed        int            `json:"failed"`
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
}

type config struct {
	url          string
	maxRequests  int
	minRequests  int
	maxDuration  time.Duration
	minDuration  time.Duration
	rate         float64
	concurrency  int
	untilVersion string
	settle       time.Duration
	timeout      time.Duration
	keepAlive    bool
	warmup       time.Duration
}

type outcome struct {
	at      time.Time
	ok      bool
	status  int
	version string
	err     string
}

func parse(args []string) (config, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.url, "url", "", "URL to GET (required)")
	fs.IntVar(&c.maxRequests, "max-requests", 20000, "hard upper bound on requests")
	fs.IntVar(&c.minRequests, "min-requests", 500, "do not stop before this many requests")
	fs.DurationVar(&c.maxDuration, "max-duration", 180*time.Second, "hard upper bound on time")
	fs.DurationVar(&c.minDuration, "min-duration", 0, "do not stop before this much time")
	fs.Float64Var(&c.rate, "rate", 25, "requests per second (all workers together)")
	fs.IntVar(&c.concurrency, "concurrency", 4, "parallel workers")
	fs.StringVar(&c.untilVersion, "until-version", "", "stop once only this version answered for -settle")
	fs.DurationVar(&c.settle, "settle", 5*time.Second, "see -until-version")
	fs.DurationVar(&c.timeout, "timeout", 3*time.Second, "per-request timeout")
	fs.BoolVar(&c.keepAlive, "keepalive", false, "reuse connections (default: a new connection per request)")
	fs.DurationVar(&c.warmup, "warmup", 60*time.Second, "wait this long for a first success before counting")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case c.url == "":
		return c, fmt.Errorf("-url is required")
	case c.maxRequests < 1 || c.maxDuration <= 0:
		return c, fmt.Errorf("-max-requests and -max-duration must be positive")
	case c.rate <= 0 || c.concurrency < 1:
		return c, fmt.Errorf("-rate and -concurrency must be positive")
	case c.minRequests > c.maxRequests:
		return c, fmt.Errorf("-min-requests %d > -max-requests %d", c.minRequests, c.maxRequests)
	}
	return c, nil
}

func client(c config) *http.Client {
	tr := &http.Transport{
		DialContext:       (&net.Dialer{Timeout: c.timeout}).DialContext,
		DisableKeepAlives: !c.keepAlive,
		MaxIdleConns:      c.concurrency,
	}
	return &http.Client{Transport: tr, Timeout: c.timeout}
}

func once(cl *http.Client, url string) outcome {
	o := outcome{at: time.Now()}
	resp, err := cl.Get(url)
	if err != nil {
		o.err = err.Error()
		return o
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	o.status = resp.StatusCode
	o.version = resp.Header.Get("X-Clockwork-Version")
	if o.version == "" {
		var v struct {
			Version string `json:"version"`
		}
		if json.Unmarshal(body, &v) == nil {
			o.version = v.Version
		}
	}
	if o.version == "" {
		o.version = "unknown"
	}
	o.ok = resp.StatusCode >= 200 && resp.StatusCode < 300
	if !o.ok {
		o.err = fmt.Sprintf("HTTP %d: %.200s", resp.StatusCode, string(body))
	}
	return o
}

func run(c config) (result, int) {
	cl := client(c)
	res := result{URL: c.url, Versions: map[string]int{}, Statuses: map[string]int{}, Errors: []string{}}

	// Warm-up: the Service must answer once before the loop counts anything.
	w0 := time.Now()
	for {
		if o := once(cl, c.url); o.ok {
			break
		} else if time.Since(w0) > c.warmup {
			res.StopReason = "warm-up failed: " + o.err
			return res, 3
		}
		time.Sleep(500 * time.Millisecond)
	}
	res.WarmupSeconds = time.Since(w0).Seconds()
	fmt.Fprintln(os.Stderr, "LOADGEN_STARTED")

	start := time.Now()
	res.StartedAt = start.UTC().Format(time.RFC3339Nano)
	ctx, cancel := context.WithTimeout(context.Background(), c.maxDuration)
	defer cancel()

	tick := time.NewTicker(time.Duration(float64(time.Second) / c.rate))
	defer tick.Stop()
	jobs := make(chan struct{})
	outcomes := make(chan outcome, c.concurrency*4)
	var wg sync.WaitGroup
	for i := 0; i < c.concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				outcomes <- once(cl, c.url)
			}
		}()
	}

	var mu sync.Mutex
	lastOther := start // last time a version other than -until-version answered
	sawTarget := false
	sent := 0
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for o := range outcomes {
			mu.Lock()
			res.Total++
			if o.status != 0 {
				res.Statuses[fmt.Sprint(o.status)]++
			} else {
				res.Statuses["error"]++
			}
			if !o.ok {
				res.Failed++
				if len(res.Errors) < 20 {
					res.Errors = append(res.Errors, fmt.Sprintf("+%.1fs %s", o.at.Sub(start).Seconds(), o.err))
				}
			} else {
				res.Versions[o.version]++
				if res.FirstVersion == "" {
					res.FirstVersion = o.version
				}
				res.LastVersion = o.version
				if c.untilVersion != "" {
					if o.version == c.untilVersion {
						sawTarget = true
					} else {
						lastOther = o.at
					}
				}
			}
			mu.Unlock()
		}
	}()

	progress := time.NewTicker(5 * time.Second)
	defer progress.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			res.StopReason = "max-duration"
			break loop
		case <-progress.C:
			mu.Lock()
			fmt.Fprintf(os.Stderr, "LOADGEN_PROGRESS +%.0fs total=%d failed=%d versions=%v\n",
				time.Since(start).Seconds(), res.Total, res.Failed, res.Versions)
			mu.Unlock()
		case <-tick.C:
			if sent >= c.maxRequests {
				res.StopReason = "max-requests"
				break loop
			}
			mu.Lock()
			enough := res.Total >= c.minRequests && time.Since(start) >= c.minDuration
			settled := c.untilVersion == "" || (sawTarget && time.Since(lastOther) >= c.settle)
			mu.Unlock()
			if enough && settled {
				if c.untilVersion != "" {
					res.StopReason = "settled on " + c.untilVersion
				} else {
					res.StopReason = "min-requests and min-duration reached"
				}
				break loop
			}
			select {
			case jobs <- struct{}{}:
				sent++
			default: // all workers busy: skip this tick rather than queue unboundedly
			}
		}
	}
	close(jobs)
	wg.Wait()
	close(outcomes)
	<-collected
	end := time.Now()
	res.FinishedAt = end.UTC().Format(time.RFC3339Nano)
	res.Seconds = end.Sub(start).Seconds()
	return res, 0
}

func main() {
	c, err := parse(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	res, code := run(c)
	keys := make([]string, 0, len(res.Versions))
	for k := range res.Versions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(os.Stderr, "LOADGEN_DONE total=%d failed=%d versions=%v reason=%s\n", res.Total, res.Failed, keys, res.StopReason)
	out, _ := json.Marshal(res)
	fmt.Printf("LOADGEN_RESULT %s\n", out)
	os.Exit(code)
}
