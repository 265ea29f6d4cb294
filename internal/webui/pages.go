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
}

// pageData is what a page template may ask about the server.
type pageData struct {
	// Docs tells whether /docs is served, for links to it.
	Docs bool
}

// The CSPs allow nothing from another origin, no eval, and nothing inline
// but for one stylesheet, each exception tested in Chromium by the browser
// tests:
//   - data: images (both pages) and fonts (the Playground): the vendored CSS
//     embeds its icons and GraphiQL's fonts as data: URLs.
//   - the Playground's style hash: GraphiQL's dialogs (settings, short keys)
//     lock page scrolling by inserting one fixed <style> element
//     (react-remove-scroll-bar; its gaps are 0px because this page never
//     scrolls). Blocking it breaks nothing visible but logs a violation each
//     time a dialog opens; the hash admits that text and nothing else.
const (
	playgroundCSP = "default-src 'none'; script-src 'self'; " +
		"style-src 'self' 'sha256-Y/huXlwoYkVyQlxwSVcCi1RCDGDCSVBzDt0hYP9qlTc='; " +
		"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	docsCSP = "default-src 'none'; script-src 'self'; style-src 'self'; " +
		"img-src 'self' data:; connect-src 'self'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	// fileCSP covers files that are not pages (assets, the OpenAPI JSON):
	// opened on their own in a tab they may run and load nothing.
	fileCSP = "default-src 'none'; frame-ancestors 'none'"
)

var (
	playground = &surface{prefix: "/playground/assets/", page: "playground.html", csp: playgroundCSP,
		allowed: []string{"favicon.svg", "playground.js", "playground.css",
			"vendor/graphiql/", "vendor/react/", "vendor/react-dom/"}}
	docs = &surface{prefix: "/docs/assets/", page: "docs.html", csp: docsCSP,
		allowed: []string{"favicon.svg", "docs.js", "docs.css", "vendor/swagger-ui-dist/"}}
	// The pages that emailed links open (contract §9) share one script and
	// stylesheet, and the Playground's CSP, as the contract asks.
	accountAssets = []string{"favicon.svg", "account.js", "account.css"}
	resetPage     = &surface{prefix: "/account/assets/", page: "reset-password.html", csp: playgroundCSP, allowed: accountAssets}
	verifyPage    = &surface{prefix: "/account/assets/", page: "verify-email.html", csp: playgroundCSP, allowed: accountAssets}
)

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
func (s *surface) render(data pageData) *asset {
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
	if err := t.Execute(&buf, data); err != nil {
		panic("webui: " + err.Error()) // a page naming a missing asset; the tests catch it
	}
	return newAsset(buf.Bytes(), contentType(s.page))
}

// pageHandler serves the page of s, rendered on its first request.
func pageHandler(s *surface, data pageData) http.Handler {
	rendered := sync.OnceValue(func() *asset { return s.render(data) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secure(w.Header(), s.csp)
		// Pages are small and name the current asset versions: revalidate.
		w.Header().Set("Cache-Control", "no-cache")
		serve(w, r, rendered())
	})
}

func assetHandler(s *surface) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := s.lookup(strings.TrimPrefix(r.URL.Path, s.prefix))
		if !ok {
			notFound(w)
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

// notFound answers an unknown file under an asset prefix in the API's
// error envelope, as every error of the server is.
func notFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(`{"success":false,"error":{"message":"Not found","code":"NOT_FOUND"}}` + "\n"))
}

// secure sets the headers every response of this package carries.
func secure(h http.Header, csp string) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}
