package webui_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"gqlauth/internal/webui"
)

// These checks need only the standard library; openapi_kin_test.go loads and
// validates the document with kin-openapi as the end-to-end tests do.

// contractCodes is the error-code table of the API contract, section 3.
var contractCodes = map[string]string{
	"400": "BAD_REQUEST", "401": "UNAUTHORIZED", "403": "FORBIDDEN", "404": "NOT_FOUND",
	"405": "METHOD_NOT_ALLOWED", "409": "CONFLICT", "413": "PAYLOAD_TOO_LARGE",
	"415": "UNSUPPORTED_MEDIA_TYPE", "422": "VALIDATION_ERROR", "429": "RATE_LIMIT_EXCEEDED",
	"500": "INTERNAL_ERROR", "503": "SERVICE_UNAVAILABLE",
	// §6 asks for 431 with the envelope but names no code: the project's.
	"431": "HEADERS_TOO_LARGE",
}

// contractRoutes are the REST routes of the contract, sections 1 and 3, with
// the success status of each.
var contractRoutes = []struct{ method, path, status string }{
	{"post", "/api/auth/register", "201"},
	{"post", "/api/auth/login/json", "200"},
	{"post", "/api/auth/login", "200"},
	{"post", "/api/auth/refresh", "200"},
	{"get", "/api/auth/me", "200"},
	{"post", "/api/auth/change-password", "200"},
	{"post", "/api/auth/logout", "200"},
	{"post", "/api/auth/forgot-password", "200"},
	{"post", "/api/auth/reset-password", "200"},
	{"post", "/api/auth/verify-email", "200"},
	{"post", "/api/auth/resend-verification", "200"},
	{"get", "/healthz", "200"},
	{"get", "/readyz", "200"},
	{"get", "/.well-known/jwks.json", "200"},
}

type jsonObject = map[string]any

func loadSpec(t *testing.T) jsonObject {
	t.Helper()
	var doc jsonObject
	if err := json.Unmarshal(webui.OpenAPISpec(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	return doc
}

// resolve follows a local $ref such as "#/components/responses/Token".
func resolve(t *testing.T, doc jsonObject, v any) jsonObject {
	t.Helper()
	obj, _ := v.(jsonObject)
	ref, ok := obj["$ref"].(string)
	if !ok {
		return obj
	}
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, _ := cur.(jsonObject)
		cur = m[part]
	}
	if cur == nil {
		t.Fatalf("$ref %s does not resolve", ref)
	}
	return resolve(t, doc, cur)
}

func TestOpenAPIDocumentCoversTheContract(t *testing.T) {
	doc := loadSpec(t)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	paths := doc["paths"].(jsonObject)
	if len(paths) != len(contractRoutes) {
		t.Errorf("document has %d paths, the contract %d", len(paths), len(contractRoutes))
	}
	for _, r := range contractRoutes {
		item, _ := paths[r.path].(jsonObject)
		op, ok := item[r.method].(jsonObject)
		if !ok {
			t.Errorf("%s %s is missing", strings.ToUpper(r.method), r.path)
			continue
		}
		responses := op["responses"].(jsonObject)
		if _, ok := responses[r.status]; !ok {
			t.Errorf("%s %s has no %s response", strings.ToUpper(r.method), r.path, r.status)
		}
		if _, ok := responses["500"]; !ok {
			t.Errorf("%s %s has no 500 response", strings.ToUpper(r.method), r.path)
		}
		for status, resp := range responses {
			checkResponse(t, doc, r.method+" "+r.path+" "+status, status, resolve(t, doc, resp))
		}
		if rb, ok := op["requestBody"]; ok {
			for media, c := range resolve(t, doc, rb)["content"].(jsonObject) {
				resolve(t, doc, c.(jsonObject)["schema"])
				if _, ok := responses["415"]; !ok {
					t.Errorf("%s %s takes %s but has no 415 response", strings.ToUpper(r.method), r.path, media)
				}
			}
		}
	}
}

func checkResponse(t *testing.T, doc jsonObject, where, status string, resp jsonObject) {
	t.Helper()
	if status == "304" {
		return // Not Modified has no body
	}
	content, _ := resp["content"].(jsonObject)
	media, ok := content["application/json"].(jsonObject)
	if !ok {
		t.Errorf("%s: no application/json body", where)
		return
	}
	schema := media["schema"].(jsonObject)
	if status < "400" {
		s := resolve(t, doc, schema)
		if s["type"] != "object" || s["required"] == nil {
			t.Errorf("%s: success body is not an object with required fields", where)
		}
		return
	}
	// An error: the envelope, with the contract's code for this status.
	all, _ := schema["allOf"].([]any)
	if len(all) != 2 || resolve(t, doc, all[0])["required"] == nil {
		t.Errorf("%s: error body is not allOf [Error, code]", where)
		return
	}
	code := all[1].(jsonObject)["properties"].(jsonObject)["error"].(jsonObject)["properties"].(jsonObject)["code"].(jsonObject)["enum"].([]any)
	if len(code) != 1 || code[0] != contractCodes[status] {
		t.Errorf("%s: error code %v, contract says %s", where, code, contractCodes[status])
	}
	headers, _ := resp["headers"].(jsonObject)
	for st, h := range map[string]string{"401": "WWW-Authenticate", "429": "Retry-After"} {
		if status == st && headers[h] == nil {
			t.Errorf("%s: no %s header", where, h)
		}
	}
}

func TestOpenAPIErrorCodesAreTheContracts(t *testing.T) {
	doc := loadSpec(t)
	enum := resolve(t, doc, jsonObject{"$ref": "#/components/schemas/ErrorCode"})["enum"].([]any)
	var got, want []string
	for _, c := range enum {
		got = append(got, c.(string))
	}
	for _, c := range contractCodes {
		want = append(want, c)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("ErrorCode enum = %v, contract = %v", got, want)
	}
}

func TestOpenAPIResponseObjectsAreClosed(t *testing.T) {
	doc := loadSpec(t)
	schemas := doc["components"].(jsonObject)["schemas"].(jsonObject)
	for _, name := range []string{"Error", "User", "TokenResponse", "SuccessMessage", "Health", "Ready"} {
		s := schemas[name].(jsonObject)
		if s["additionalProperties"] != false {
			t.Errorf("schema %s allows additional properties", name)
		}
		props := s["properties"].(jsonObject)
		required := s["required"].([]any)
		if len(required) != len(props) {
			t.Errorf("schema %s requires %d of its %d properties", name, len(required), len(props))
		}
	}
}
