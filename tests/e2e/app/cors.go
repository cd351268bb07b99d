package main

import (
	"net/http"
	"slices"
)

// cors implements CORS for the origins in ALLOWED_ORIGINS ("*" allows any origin).
// With no allowed origins no CORS headers are ever sent (same-origin only).
type cors struct {
	origins  []string
	allowAll bool
}

func newCORS(origins []string) *cors {
	return &cors{origins: origins, allowAll: slices.Contains(origins, "*")}
}

func (c *cors) allowed(origin string) bool {
	return origin != "" && (c.allowAll || slices.Contains(c.origins, origin))
}

func (c *cors) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		preflight := r.Method == http.MethodOptions && origin != "" &&
			r.Header.Get("Access-Control-Request-Method") != ""
		if origin != "" {
			w.Header().Add("Vary", "Origin")
		}
		ok := c.allowed(origin)
		if ok {
			w.Header().Set("Access-Control-Allow-Origin", origin)
		}
		if !preflight {
			next.ServeHTTP(w, r)
			return
		}
		if !ok {
			http.Error(w, "origin not allowed", http.StatusForbidden)
			return
		}
		w.Header().Add("Vary", "Access-Control-Request-Method")
		w.Header().Add("Vary", "Access-Control-Request-Headers")
		w.Header().Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
		if h := r.Header.Get("Access-Control-Request-Headers"); h != "" {
			w.Header().Set("Access-Control-Allow-Headers", h)
		} else {
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		}
		w.Header().Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
	})
}
