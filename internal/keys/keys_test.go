package keys_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"gqlauth/internal/keys"
)

func generate(t *testing.T, alg string) []byte {
	t.Helper()
	b, err := keys.Generate(alg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// merge joins the keys of several JWK Sets, in order.
func merge(t *testing.T, sets ...[]byte) []byte {
	t.Helper()
	var all []json.RawMessage
	for _, s := range sets {
		var v struct{ Keys []json.RawMessage }
		if err := json.Unmarshal(s, &v); err != nil {
			t.Fatal(err)
		}
		all = append(all, v.Keys...)
	}
	b, _ := json.Marshal(map[string]any{"keys": all})
	return b
}

func TestGenerateParseSignVerify(t *testing.T) {
	for _, alg := range keys.Asymmetric {
		t.Run(alg, func(t *testing.T) {
			a, b := generate(t, alg), generate(t, alg)
			set, err := keys.ParseJSON(merge(t, a, b), alg)
			if err != nil {
				t.Fatal(err)
			}
			ids := set.IDs()
			kid, key := set.SigningKey()
			if len(ids) != 2 || kid != ids[0] {
				t.Fatalf("ids %v, signing %s", ids, kid)
			}
			tok := jwt.NewWithClaims(set.Method(), jwt.MapClaims{"sub": "1"})
			tok.Header["kid"] = kid
			s, err := tok.SignedString(key)
			if err != nil {
				t.Fatal(err)
			}
			p := jwt.NewParser(jwt.WithValidMethods([]string{alg}))
			if _, err := p.Parse(s, set.Keyfunc); err != nil {
				t.Fatalf("does not verify: %v", err)
			}
			// The second key verifies too; a missing or unknown kid does not.
			other, _ := keys.ParseJSON(b, alg)
			okid, okey := other.SigningKey()
			for name, c := range map[string]struct {
				kid  any
				want bool
			}{"second key": {okid, true}, "no kid": {nil, false}, "unknown kid": {"nope", false}, "kid not a string": {7, false}} {
				tok := jwt.NewWithClaims(set.Method(), jwt.MapClaims{"sub": "1"})
				if c.kid != nil {
					tok.Header["kid"] = c.kid
				}
				s, _ := tok.SignedString(okey)
				if _, err := p.Parse(s, set.Keyfunc); (err == nil) != c.want {
					t.Errorf("%s: err %v", name, err)
				}
			}
			// The public set: every key, public parts only.
			var pub struct{ Keys []map[string]any }
			if err := json.Unmarshal(set.PublicJWKS(), &pub); err != nil || len(pub.Keys) != 2 {
				t.Fatalf("public set %s: %v", set.PublicJWKS(), err)
			}
			for _, k := range pub.Keys {
				for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
					if _, ok := k[private]; ok {
						t.Errorf("public key has %q: %v", private, k)
					}
				}
				if k["use"] != "sig" || k["alg"] != alg || k["kid"] == "" || k["kty"] == "" {
					t.Errorf("public key %v", k)
				}
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	ed := generate(t, keys.EdDSA)
	var one struct{ Keys []map[string]any }
	_ = json.Unmarshal(ed, &one)
	with := func(change func(k map[string]any)) string {
		k := map[string]any{}
		for n, v := range one.Keys[0] {
			k[n] = v
		}
		change(k)
		b, _ := json.Marshal(map[string]any{"keys": []any{k}})
		return string(b)
	}
	cases := []struct {
		name, value, alg, want string
	}{
		{"not JSON", "{nope", keys.EdDSA, "not a JSON JWK Set"},
		{"no keys", `{"keys":[]}`, keys.EdDSA, "no keys"},
		{"no kid", with(func(k map[string]any) { delete(k, "kid") }), keys.EdDSA, "no kid"},
		{"public only", with(func(k map[string]any) { delete(k, "d") }), keys.EdDSA, "public key"},
		{"other key type", with(func(k map[string]any) { delete(k, "alg") }), keys.ES256, "does not fit"},
		{"other alg", string(ed), keys.ES256, "ALGORITHM is ES256"},
		{"alg member differs", with(func(k map[string]any) { k["alg"] = "ES256" }), keys.EdDSA, "alg"},
		{"use enc", with(func(k map[string]any) { k["use"] = "enc" }), keys.EdDSA, "use"},
		{"symmetric", `{"keys":[{"kty":"oct","kid":"a","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}]}`, keys.EdDSA, "symmetric"},
		{"duplicate kid", string(merge(t, ed, ed)), keys.EdDSA, "twice"},
		{"HS algorithm", string(ed), keys.HS256, "SECRET_KEY"},
		{"missing file", "@/nonexistent/keys.json", keys.EdDSA, "reading /nonexistent/keys.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := keys.Parse(c.value, c.alg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want one mentioning %q", err, c.want)
			}
			if d, ok := one.Keys[0]["d"].(string); ok && strings.Contains(err.Error(), d) {
				t.Fatalf("error quotes the private key: %v", err)
			}
		})
	}
}

func TestParseFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(path, generate(t, keys.ES256), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Parse("@"+path, keys.ES256); err != nil {
		t.Fatal(err)
	}
}

func TestHMACPublishesNothing(t *testing.T) {
	set, err := keys.NewHMAC([]byte(strings.Repeat("s", 32)), keys.HS256)
	if err != nil {
		t.Fatal(err)
	}
	if string(set.PublicJWKS()) != `{"keys":[]}` {
		t.Fatalf("%s", set.PublicJWKS())
	}
	// A token without kid verifies with the one secret, as before key ids.
	if _, err := set.VerificationKey("", false); err != nil {
		t.Fatal(err)
	}
}

func TestInfer(t *testing.T) {
	for _, alg := range keys.Asymmetric {
		got, err := keys.Infer(generate(t, alg))
		if err != nil || got != alg {
			t.Errorf("%s: %q %v", alg, got, err)
		}
	}
}
