package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"gqlauth/internal/webui"
)

// Every REST response the end-to-end suite receives is validated against
// the published OpenAPI document, so the document cannot drift from the code.
func init() { validateResponse = validateAgainstOpenAPI }

var openAPI struct {
	once   sync.Once
	router routers.Router
	err    error
}

func openAPIRouter() (routers.Router, error) {
	openAPI.once.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(webui.OpenAPISpec())
		if err != nil {
			openAPI.err = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			openAPI.err = err
			return
		}
		openAPI.router, openAPI.err = legacy.NewRouter(doc)
	})
	return openAPI.router, openAPI.err
}

func validateAgainstOpenAPI(t testing.TB, req *http.Request, resp *response) {
	t.Helper()
	if !strings.HasPrefix(req.URL.Path, "/api/auth/") && req.URL.Path != "/healthz" && req.URL.Path != "/readyz" && req.URL.Path != "/.well-known/jwks.json" {
		return
	}
	switch resp.Status {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusRequestHeaderFieldsTooLarge:
		// Routing and header-size failures: described in the document's
		// prose, not per route; the tests check their envelopes themselves.
		return
	}
	router, err := openAPIRouter()
	if err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		// Unknown paths and methods are not in the document; the envelope
		// they get is checked by the tests themselves.
		return
	}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.Status,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(resp.Raw)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	})
	if err != nil {
		t.Errorf("%s %s → %d does not match the OpenAPI document: %v\nbody: %s", req.Method, req.URL.Path, resp.Status, err, resp.Raw)
	}
}

func TestOpenAPIDocumentServed(t *testing.T) {
	s := startServer(t, nil)
	r := s.request(http.MethodGet, "/api/openapi.json", nil)
	if r.Status != 200 || !strings.HasPrefix(r.Str("openapi"), "3.1") {
		t.Fatalf("openapi.json: %d %.200s", r.Status, r.Raw)
	}
	if !bytes.Equal(r.Raw, webui.OpenAPISpec()) {
		t.Fatal("served document differs from the embedded one")
	}
	off := startServer(t, map[string]string{"DOCS_ENABLED": "false"})
	expect(t, off.request(http.MethodGet, "/api/openapi.json", nil), 404, "NOT_FOUND")
	expect(t, off.request(http.MethodGet, "/docs", nil), 404, "NOT_FOUND")
}
