// Package webui serves the browser surfaces of the API: the GraphiQL
// Playground, the Swagger UI docs and the OpenAPI document they read, and
// the small pages that emailed reset and verification links open. Every
// file comes from assets embedded in the binary, so the pages work offline and
// no request leaves the server's own origin.
package webui

import (
	"bytes"
	"net/http"
)

// Options selects which surfaces are on.
type Options struct {
	// Playground serves GET /playground and its assets.
	Playground bool
	// Docs serves GET /docs, its assets and GET /api/openapi.json.
	Docs bool
}

// Mux is where Register adds routes: an http.ServeMux, or a router with
// its own not-found and method answers.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Register adds the routes of the enabled surfaces to mux, which must
// understand Go 1.22 method patterns. Disabled surfaces add nothing, so the
// caller's own not-found handling answers for them.
func Register(mux Mux, opts Options) {
	if opts.Playground {
		mux.Handle("GET /playground", pageHandler(playground, pageData{Docs: opts.Docs}))
		mux.Handle("GET /playground/assets/", assetHandler(playground))
	}
	// The pages emailed links open are always on: the links must work.
	mux.Handle("GET /reset-password", pageHandler(resetPage, pageData{}))
	mux.Handle("GET /verify-email", pageHandler(verifyPage, pageData{}))
	mux.Handle("GET /account/assets/", assetHandler(resetPage))
	if opts.Docs {
		mux.Handle("GET /docs", pageHandler(docs, pageData{Docs: true}))
		mux.Handle("GET /docs/assets/", assetHandler(docs))
		mux.Handle("GET /api/openapi.json", openAPIHandler())
	}
}

// OpenAPISpec returns the embedded OpenAPI 3.1 document of the REST shim, for
// tests that check responses against it. Each call returns a fresh copy.
func OpenAPISpec() []byte {
	return bytes.Clone(catalog()["openapi.json"].body)
}
