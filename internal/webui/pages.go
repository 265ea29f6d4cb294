package webui

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"sync"
)

// surface is one page and the embedded files that it may load.
type surface struct {
	prefix string // URL prefix of the assets, e.g. "/playground/assets/"
	page   string // page template under assets/
	csp    string
	// allowed lists the files under assets/ this surface serves; an entry
	// that ends in "/" allows a whole directory. The rest stays private: a
	// page template, VERSIONS, the other surface's files.
	allowed []string
	// rendered is the page, built on first request from its template.
	rendered func() *asset
}

// The CSPs allow nothing from another origin and nothing inline.
// data: images and fonts are needed because the vendored CSS embeds its
// icons and fonts as data: URLs (GraphiQL's fonts, Swagger UI's icons).
const (
	playgroundCSP = "default-src 'none'; script-src 'self'; style-src 'self'; " +
		"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	docsCSP = "default-src 'none'; script-src 'self'; style-src 'self'; " +
		"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	// fileCSP covers files that are not pages (assets, the OpenAPI JSON):
	// opened on their own in a tab they may run and load nothing.
	fileCSP = "default-src 'none'; frame-ancestors 'none'"
)

var (
	playground = newSurface("/playground/assets/", "playground.html", playgroundCSP,
		"favicon.svg", "playground.js", "playground.css",
		"vendor/graphiql/", "vendor/react/", "vendor/react-dom/")
	docs = newSurface("/docs/assets/", "docs.html", docsCSP,
		"favicon.svg", "docs.js", "docs.css", "vendor/swagger-ui-dist/")
)

func newSurface(prefix, page, csp string, allowed ...string) *surface {
	s := &surface{prefix: prefix, page: page, csp: csp, allowed: allowed}
	s.rendered = sync.OnceValue(s.render)
	return s
}

// lookup returns the asset that name (relative to prefix) names, if this
// surface serves it.
func (s *surface) lookup(name string) (*asset, bool) {
	for _, a := range s.allowed {
		if name == a || strings.HasSuffix(a, "/") && strings.HasPrefix(name, a) {
			f, ok := catalog()[name]
			return f, ok
		}
	}
	return nil, false
}

// render fills the page template's {{asset "name"}} calls with versioned
// URLs, so browsers can keep assets for a year and still see every upgrade.
func (s *surface) render() *asset {
	funcs := template.FuncMap{"asset": func(name string) (string, error) {
		a, ok := s.lookup(name)
		if !ok {
			return "", fmt.Errorf("page uses a missing asset %q", name)
		}
		return s.prefix + name + "?v=" + a.version, nil
	}}
	src := catalog()[s.page].body
	t := template.Must(template.New(s.page).Funcs(funcs).Parse(string(src)))
	var buf bytes.Buffer
	if err := t.Execute(&buf, nil); err != nil {
		panic("webui: " + err.Error()) // a page naming a missing asset; the tests catch it
	}
	return newAsset(buf.Bytes(), contentType(s.page))
}

func pageHandler(s *surface) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secure(w.Header(), s.csp)
		// Pages are small and name the current asset versions: revalidate.
		w.Header().Set("Cache-Control", "no-cache")
		serve(w, r, s.rendered())
	})
}

func assetHandler(s *surface) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := s.lookup(strings.TrimPrefix(r.URL.Path, s.prefix))
		if !ok {
			http.NotFound(w, r)
			return
		}
		secure(w.Header(), fileCSP)
		if r.URL.Query().Get("v") == a.version {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			// An unversioned or stale URL may change under the same name.
			w.Header().Set("Cache-Control", "no-cache")
		}
		serve(w, r, a)
	})
}

func openAPIHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secure(w.Header(), fileCSP)
		w.Header().Set("Cache-Control", "no-cache")
		serve(w, r, catalog()["openapi.json"])
	})
}

// secure sets the headers every response of this package carries.
func secure(h http.Header, csp string) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}
