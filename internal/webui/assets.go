package webui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The vendored files come from scripts/vendor-webui.sh; assets/vendor/VERSIONS
// pins their versions.
//
//go:embed assets
var files embed.FS

// asset is one embedded file, ready to serve.
type asset struct {
	body        []byte
	contentType string
	// version is a short content hash: page URLs carry it as ?v=, which is
	// what makes a year-long immutable cache safe across upgrades.
	version string
	// gzipped is computed on first use, so files that nobody asks for cost
	// nothing, and is nil for types that do not compress.
	gzipped func() []byte
}

// catalog maps a path under assets/ to its file. It is built once, on first
// use, so a server with both surfaces off never hashes anything.
var catalog = sync.OnceValue(func() map[string]*asset {
	cat := map[string]*asset{}
	err := fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		cat[strings.TrimPrefix(p, "assets/")] = newAsset(body, contentType(p))
		return nil
	})
	if err != nil {
		panic("webui: reading embedded assets: " + err.Error()) // only a broken build gets here
	}
	return cat
})

func newAsset(body []byte, ctype string) *asset {
	sum := sha256.Sum256(body)
	a := &asset{body: body, contentType: ctype, version: hex.EncodeToString(sum[:6])}
	if strings.HasPrefix(ctype, "text/") || strings.HasPrefix(ctype, "application/json") {
		a.gzipped = sync.OnceValue(func() []byte {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(body) // writes to a bytes.Buffer cannot fail
			zw.Close()
			return buf.Bytes()
		})
	}
	return a
}

// contentType is fixed here rather than taken from mime.TypeByExtension,
// whose answers depend on the host's mime tables.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json":
		return "application/json; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".txt", "": // LICENSE, NOTICE, VERSIONS
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// serve writes a, gzipped when the client takes it, and answers conditional
// and range requests through http.ServeContent. The caller sets the caching
// and security headers.
func serve(w http.ResponseWriter, r *http.Request, a *asset) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	body, etag := a.body, `"`+a.version+`"`
	if a.gzipped != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = a.gzipped(), `"`+a.version+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: named
// with a non-zero quality, or through "*".
func acceptsGzip(header string) bool {
	star := false
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		ok := true
		if q, found := strings.CutPrefix(strings.TrimSpace(params), "q="); found {
			f, err := strconv.ParseFloat(q, 64)
			ok = err == nil && f > 0
		}
		switch strings.ToLower(strings.TrimSpace(coding)) {
		case "gzip":
			return ok
		case "*":
			star = ok
		}
	}
	return star
}
