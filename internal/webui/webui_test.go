package webui_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"gqlauth/internal/webui"
)

func newMux(opts webui.Options) *http.ServeMux {
	mux := http.NewServeMux()
	webui.Register(mux, opts)
	return mux
}

func get(t *testing.T, h http.Handler, target string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assetURLs returns the same-origin URLs that a page's src and href name.
func assetURLs(page string) []string {
	var urls []string
	for _, m := range regexp.MustCompile(`(?:src|href)="(/[^"]*)"`).FindAllStringSubmatch(page, -1) {
		urls = append(urls, strings.ReplaceAll(m[1], "&amp;", "&"))
	}
	return urls
}

func checkSecurityHeaders(t *testing.T, res *http.Response) {
	t.Helper()
	want := map[string]string{
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
	}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q, want default-src 'none' and frame-ancestors 'none'", csp)
	}
}

func TestPages(t *testing.T) {
	mux := newMux(webui.Options{Playground: true, Docs: true})
	for _, tc := range []struct {
		path, contains string
		minAssets      int
	}{
		{"/playground", `id="auth-status"`, 7},
		{"/docs", `id="swagger-ui"`, 4},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res := get(t, mux, tc.path)
			page := body(t, res)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			checkSecurityHeaders(t, res)
			checkPageCSP(t, res.Header.Get("Content-Security-Policy"))
			if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("Cache-Control = %q, want no-cache", cc)
			}
			if !strings.Contains(page, tc.contains) {
				t.Errorf("page lacks %s", tc.contains)
			}
			// The CSP forbids inline code; a page that had some would break.
			if regexp.MustCompile(`<script>|<script [^>]*>[^<]|<style|style="|\son[a-z]+=`).MatchString(page) {
				t.Errorf("page has inline script or style:\n%s", page)
			}
			urls := assetURLs(page)
			if len(urls) < tc.minAssets {
				t.Fatalf("page names %d assets, want %d: %v", len(urls), tc.minAssets, urls)
			}
			for _, u := range urls {
				if !strings.HasPrefix(u, tc.path+"/assets/") {
					if u != "/docs" && u != "/api/openapi.json" { // links between the surfaces
						t.Errorf("asset URL %s is outside %s/assets/", u, tc.path)
					}
					continue
				}
				checkAsset(t, mux, u)
			}
		})
	}
}

// checkPageCSP checks that a page's policy trusts its own origin alone: no
// other host, no scheme wildcard, nothing unsafe; inline styles only by hash.
func checkPageCSP(t *testing.T, csp string) {
	t.Helper()
	if strings.Contains(csp, "unsafe-") || strings.Contains(csp, "*") || strings.Contains(csp, "http") {
		t.Errorf("CSP %q allows more than this origin", csp)
	}
	directives := map[string][]string{}
	for d := range strings.SplitSeq(csp, ";") {
		if f := strings.Fields(d); len(f) > 0 {
			directives[f[0]] = f[1:]
		}
	}
	for name, want := range map[string]string{
		"default-src":     "'none'",
		"script-src":      "'self'",
		"connect-src":     "'self'",
		"frame-ancestors": "'none'",
		"base-uri":        "'none'",
	} {
		if got := strings.Join(directives[name], " "); got != want {
			t.Errorf("CSP %s = %q, want %q", name, got, want)
		}
	}
	style := directives["style-src"]
	if len(style) == 0 || style[0] != "'self'" {
		t.Errorf("CSP style-src = %q, want 'self' first", style)
	}
	for _, s := range style[min(1, len(style)):] {
		if !strings.HasPrefix(s, "'sha256-") {
			t.Errorf("CSP style-src allows %s; only hashes may join 'self'", s)
		}
	}
}

func checkAsset(t *testing.T, mux http.Handler, u string) {
	t.Helper()
	res := get(t, mux, u)
	b := body(t, res)
	if res.StatusCode != http.StatusOK || len(b) == 0 {
		t.Errorf("GET %s: status %d, %d bytes", u, res.StatusCode, len(b))
		return
	}
	checkSecurityHeaders(t, res)
	want := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
	ext := u[strings.LastIndex(u, "."):strings.Index(u, "?")]
	if ct := res.Header.Get("Content-Type"); ct != want[ext] {
		t.Errorf("GET %s: Content-Type = %q, want %q", u, ct, want[ext])
	}
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("GET %s: Cache-Control = %q, want a year, immutable", u, cc)
	}
	if strings.HasSuffix(ext, ".js") && strings.Contains(b, "sourceMappingURL=data:") {
		t.Errorf("GET %s: inline source map", u)
	}
}

func TestAssetCachingAndCompression(t *testing.T) {
	mux := newMux(webui.Options{Playground: true})
	const js = "/playground/assets/playground.js"

	plain := get(t, mux, js)
	want := body(t, plain)
	if cc := plain.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("unversioned URL: Cache-Control = %q, want no-cache", cc)
	}
	etag := plain.Header.Get("ETag")
	if etag == "" || plain.Header.Get("Content-Encoding") != "" {
		t.Fatalf("plain response: ETag %q, Content-Encoding %q", etag, plain.Header.Get("Content-Encoding"))
	}
	if res := get(t, mux, js, "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", res.StatusCode)
	}

	zipped := get(t, mux, js, "Accept-Encoding", "br, gzip")
	if zipped.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(zipped.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("gzip response: Content-Encoding %q, Vary %q", zipped.Header.Get("Content-Encoding"), zipped.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(bytes.NewReader([]byte(body(t, zipped))))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); string(got) != want {
		t.Error("gunzipped body differs from the plain one")
	}
	if zipped.Header.Get("ETag") == etag {
		t.Error("gzip and plain bodies share an ETag")
	}
	if res := get(t, mux, js, "Accept-Encoding", "gzip;q=0"); res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 got gzip")
	}
}

func TestOpenAPIRoute(t *testing.T) {
	res := get(t, newMux(webui.Options{Docs: true}), "/api/openapi.json")
	b := body(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	checkSecurityHeaders(t, res)
	if b != string(webui.OpenAPISpec()) {
		t.Error("served document differs from OpenAPISpec()")
	}
}

func TestNotFound(t *testing.T) {
	mux := newMux(webui.Options{Playground: true, Docs: true})
	for _, u := range []string{
		"/playground/assets/nope.js",
		"/playground/assets/",
		"/playground/assets/vendor/graphiql/",
		"/playground/assets/playground.html", // a template, not an asset
		"/playground/assets/vendor/VERSIONS",
		"/playground/assets/openapi.json",
		"/playground/assets/docs.js",                               // the other surface's file
		"/playground/assets/vendor/swagger-ui-dist/swagger-ui.css", // ditto
		"/docs/assets/playground.js",
		"/docs/assets/vendor/graphiql/graphiql.min.js",
		"/docs/assets/vendor/graphiql/graphiql.min.js.map",
	} {
		res := get(t, mux, u)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", u, res.StatusCode)
		}
		// An unknown file under an asset prefix is answered here, in the
		// envelope.
		if b := body(t, res); !strings.Contains(b, `"code":"NOT_FOUND"`) {
			t.Errorf("GET %s: body %s", u, b)
		}
	}
}

func TestOptionsOff(t *testing.T) {
	all := []string{"/playground", "/playground/assets/playground.js", "/docs", "/docs/assets/docs.js", "/api/openapi.json"}
	for _, tc := range []struct {
		opts webui.Options
		on   []string
	}{
		{webui.Options{}, nil},
		{webui.Options{Playground: true}, all[:2]},
		{webui.Options{Docs: true}, all[2:]},
	} {
		mux := newMux(tc.opts)
		for _, u := range all {
			want := http.StatusNotFound
			for _, on := range tc.on {
				if u == on {
					want = http.StatusOK
				}
			}
			if res := get(t, mux, u); res.StatusCode != want {
				t.Errorf("%+v: GET %s: status %d, want %d", tc.opts, u, res.StatusCode, want)
			}
		}
	}
}

func TestPlaygroundLinksToDocsOnlyWhenServed(t *testing.T) {
	for _, docs := range []bool{false, true} {
		page := body(t, get(t, newMux(webui.Options{Playground: true, Docs: docs}), "/playground"))
		if got := strings.Contains(page, `href="/docs"`); got != docs {
			t.Errorf("Docs %v: page links to /docs: %v", docs, got)
		}
	}
}

func TestLicensesBesideVendoredFiles(t *testing.T) {
	mux := newMux(webui.Options{Playground: true, Docs: true})
	for _, u := range []string{
		"/playground/assets/vendor/graphiql/LICENSE",
		"/playground/assets/vendor/react/LICENSE",
		"/playground/assets/vendor/react-dom/LICENSE",
		"/docs/assets/vendor/swagger-ui-dist/LICENSE",
	} {
		res := get(t, mux, u)
		if b := body(t, res); res.StatusCode != http.StatusOK || !strings.Contains(b, "License") {
			t.Errorf("GET %s: status %d, no licence text", u, res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Errorf("GET %s: Content-Type = %q", u, ct)
		}
	}
}
