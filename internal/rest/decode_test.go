package rest

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"gqlauth/internal/auth"
)

// TestDecode: each field of the request struct is reported as the REST
// contract does (missing or null: "Field required" unless omitempty; not a
// string: "Input should be a valid string"), unknown members are ignored,
// and the body-level refusals are decodeObject's.
func TestDecode(t *testing.T) {
	type req struct {
		Token string `json:"token"`
		Scope string `json:"scope,omitempty"`
	}
	for _, c := range []struct {
		name, body, ct string
		want           req
		code           auth.Code
		details        map[string][]string
	}{
		{"both", `{"token":"t","scope":"all"}`, "application/json", req{"t", "all"}, "", nil},
		{"optional missing", `{"token":"t"}`, "application/json", req{Token: "t"}, "", nil},
		{"unknown ignored", `{"token":"t","x":1}`, "application/json", req{Token: "t"}, "", nil},
		{"empty string kept", `{"token":""}`, "application/json", req{}, "", nil},
		{"empty body", ``, "", req{}, auth.CodeValidation, map[string][]string{"token": {"Field required"}}},
		{"null", `{"token":null,"scope":null}`, "application/json", req{}, auth.CodeValidation, map[string][]string{"token": {"Field required"}}},
		{"wrong types", `{"token":12,"scope":[]}`, "application/json", req{}, auth.CodeValidation,
			map[string][]string{"token": {"Input should be a valid string"}, "scope": {"Input should be a valid string"}}},
		{"not an object", `["t"]`, "application/json", req{}, auth.CodeValidation, map[string][]string{"body": {"Input should be a JSON object"}}},
		{"trailing data", `{"token":"t"} x`, "application/json", req{}, auth.CodeBadRequest, nil},
		{"not JSON", `{"token":`, "application/json", req{}, auth.CodeBadRequest, nil},
		{"media type", `{"token":"t"}`, "text/plain", req{}, auth.CodeUnsupportedMediaType, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
			r.Header.Set("Content-Type", c.ct)
			got, err := decode[req](r)
			if c.code == "" {
				if err != nil || got != c.want {
					t.Fatalf("got %+v, %v; want %+v", got, err, c.want)
				}
				return
			}
			e := auth.ErrorOf(err)
			if e.Code != c.code || !reflect.DeepEqual(map[string][]string(e.Fields), c.details) {
				d, _ := json.Marshal(e.Fields)
				t.Fatalf("got %s %s; want %s %v", e.Code, d, c.code, c.details)
			}
		})
	}
}
