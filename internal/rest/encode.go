package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"gqlauth/internal/auth"
)

// writeJSON writes v as the JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"success":false,"error":{"message":"Internal server error","code":"INTERNAL_ERROR"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// object is a decoded JSON object body whose values are read field by field,
// so that a missing field, a null and a wrong type each get their own message.
type object map[string]json.RawMessage

var (
	errNotJSON       = problem(auth.CodeBadRequest, "Request body is not valid JSON")
	errTooLarge      = problem(auth.CodePayloadTooLarge, "Request body is too large")
	errMediaTypeJSON = problem(auth.CodeUnsupportedMediaType, "Content-Type must be application/json")
)

// isJSON reports whether the Content-Type is application/json (any
// parameters) or a +json type.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// readBody reads the whole (size-capped) body.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, errTooLarge
	}
	if err != nil {
		return nil, problem(auth.CodeBadRequest, "Could not read request body")
	}
	return b, nil
}

// decodeObject reads a JSON object body. An empty body is an empty object
// (missing fields are then reported as such); a body that is not JSON is a
// 400, one that is JSON but not an object a 422; a non-JSON content type 415.
func decodeObject(r *http.Request) (object, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return object{}, nil
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return nil, errMediaTypeJSON
	}
	return parseObject(b)
}

func parseObject(b []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, errNotJSON
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errNotJSON // trailing data after the value
	}
	var obj object
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		p := auth.Problems{}
		p.Add("body", "Input should be a JSON object")
		return nil, p.Err()
	}
	return obj, nil
}

// decode reads a JSON object body into T, a struct of strings named by json
// tags, required unless omitempty. Unknown members are ignored; the problems
// of all fields (see object.optStr) come back as one validation error.
func decode[T any](r *http.Request) (T, error) {
	var req T
	obj, err := decodeObject(r)
	if err != nil {
		return req, err
	}
	p := auth.Problems{}
	v := reflect.ValueOf(&req).Elem()
	for i := range v.NumField() {
		name, opts, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		s, present := obj.optStr(p, name)
		if !present && opts != "omitempty" {
			p.Add(name, "Field required")
		}
		v.Field(i).SetString(s)
	}
	return req, p.Err()
}

// serve adapts a REST handler that writes its success answer or returns an
// error: the error is written as the envelope, with its field names as the
// REST contract spells them.
func serve(log *slog.Logger, h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, log, restFields(err, nil))
		}
	})
}

// optStr reads an optional string field; present is false when it is
// missing or null.
func (o object) optStr(p auth.Problems, name string) (v string, present bool) {
	raw, ok := o[name]
	if !ok || string(raw) == "null" {
		return "", false
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		p.Add(name, "Input should be a valid string")
		return "", true
	}
	return v, true
}
