package rest

import (
	"net/http"
	"strconv"
	"strings"

	"gqlauth/internal/keys"
)

// JWKSMaxAge is how long, in seconds, clients may cache the JWK Set. Key
// rotation waits at least this long between steps (see the README).
const JWKSMaxAge = 300

// handleJWKS serves the public JWK Set: the public part of every configured
// key (empty with an HS algorithm), cacheable, with a strong ETag so that a
// client revalidating gets 304.
func handleJWKS(set *keys.Set) http.Handler {
	body := []byte(`{"keys":[]}`)
	etag := `"empty"`
	if set != nil {
		body, etag = set.PublicJWKS(), set.ETag()
	}
	cacheControl := "public, max-age=" + strconv.Itoa(JWKSMaxAge)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", cacheControl)
		h.Set("ETag", etag)
		// Public keys: any origin may read them.
		h.Set("Access-Control-Allow-Origin", "*")
		if etagMatches(r.Header.Get("If-None-Match"), etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	})
}

// etagMatches applies If-None-Match's weak comparison (RFC 9110 13.1.2).
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}
