package app_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeStep is one command of the README's "Using the API" blocks and the
// output shown under it ("" when none is shown).
type readmeStep struct {
	line    int // of the command's first line in README.md
	command string
	want    string
}

// readmeSections are the README sections whose sh blocks are one session,
// in this order.
var readmeSections = []string{"## Using the API", "## Email: verification and password reset"}

// readmeSteps cuts the sh blocks of the README's readmeSections into steps:
// the lines up to a "# → output" comment (continued by lines that start
// "#    ") are one step with that output.
func readmeSteps(t *testing.T) []readmeStep {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	var steps []readmeStep
	for _, heading := range readmeSections {
		start := strings.Index(text, "\n"+heading+"\n")
		if start < 0 {
			t.Fatalf("README.md has no %q section", heading)
		}
		end := strings.Index(text[start+1:], "\n## ")
		if end < 0 {
			end = len(text) - start - 1
		}
		steps = append(steps, sectionSteps(text[start:start+1+end], strings.Count(text[:start], "\n")+1)...)
	}
	return steps
}

func sectionSteps(section string, lineNo int) []readmeStep {

	var steps []readmeStep
	var cur readmeStep
	inSh, inWant := false, false
	flush := func() {
		if strings.TrimSpace(cur.command) != "" || cur.want != "" {
			steps = append(steps, cur)
		}
		cur, inWant = readmeStep{}, false
	}
	for i, l := range strings.Split(section, "\n") {
		switch {
		case !inSh && l == "```sh":
			inSh = true
			continue
		case inSh && l == "```":
			flush()
			inSh = false
			continue
		case !inSh:
			continue
		}
		switch {
		case strings.HasPrefix(l, "# → "):
			flush()
			steps[len(steps)-1].want = strings.TrimPrefix(l, "# → ")
			inWant = true
		case inWant && strings.HasPrefix(l, "#    "):
			steps[len(steps)-1].want += " " + strings.TrimSpace(strings.TrimPrefix(l, "#"))
		default:
			inWant = false
			if cur.command == "" {
				cur.line = lineNo + i
			}
			cur.command += l + "\n"
		}
	}
	return steps
}

// matchShown reports whether got fits the shown output want: JSON compared
// value by value, "…" in a string standing for any text (a string that is
// only "…" for any value), objects needing exactly the shown keys (any
// more when the output shows ",…}"), arrays the same elements in any order;
// other text compared with "…" as a wildcard.
func matchShown(want, got string) error {
	want, got = strings.TrimSpace(want), strings.TrimSpace(got)
	if strings.HasPrefix(want, "{") || strings.HasPrefix(want, "[") {
		// "…}" and "…," stand for more fields: drop them before parsing.
		open := strings.Contains(want, ",…}")
		w := strings.ReplaceAll(want, ",…}", "}")
		var wv, gv any
		if err := json.Unmarshal([]byte(w), &wv); err != nil {
			return fmt.Errorf("shown output is not JSON (%v): %s", err, want)
		}
		if err := json.Unmarshal([]byte(got), &gv); err != nil {
			return fmt.Errorf("output is not JSON: %q", got)
		}
		return matchValue("$", wv, gv, open)
	}
	re := "^" + strings.ReplaceAll(regexp.QuoteMeta(want), "…", ".*") + "$"
	if !regexp.MustCompile(re).MatchString(got) {
		return fmt.Errorf("got %q", got)
	}
	return nil
}

func matchValue(path string, want, got any, open bool) error {
	switch w := want.(type) {
	case string:
		if w == "…" {
			return nil
		}
		g, ok := got.(string)
		if !ok {
			return fmt.Errorf("%s: got %v, want a string like %q", path, got, w)
		}
		re := "^" + strings.ReplaceAll(regexp.QuoteMeta(w), "…", ".*") + "$"
		if !regexp.MustCompile(re).MatchString(g) {
			return fmt.Errorf("%s: got %q, want %q", path, g, w)
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: got %v, want an object", path, got)
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return fmt.Errorf("%s: no %q", path, k)
			}
			if err := matchValue(path+"."+k, wv, gv, open); err != nil {
				return err
			}
		}
		if !open {
			for k := range g {
				if _, ok := w[k]; !ok {
					return fmt.Errorf("%s: %q is not shown", path, k)
				}
			}
		}
	case []any:
		// In any order: lists such as sessions have none that a reader
		// could rely on.
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Errorf("%s: got %v, want %d elements", path, got, len(w))
		}
		used := make([]bool, len(g))
		for i := range w {
			var first error
			found := false
			for j := range g {
				if used[j] {
					continue
				}
				err := matchValue(fmt.Sprintf("%s[%d]", path, i), w[i], g[j], open)
				if err == nil {
					used[j], found = true, true
					break
				}
				if first == nil {
					first = err
				}
			}
			if !found {
				return first
			}
		}
	default:
		if fmt.Sprint(want) != fmt.Sprint(got) {
			return fmt.Errorf("%s: got %v, want %v", path, got, want)
		}
	}
	return nil
}

// serverErrors are the server's ERROR log lines so far, for a failure
// message.
func serverErrors(s *server) string {
	var out []string
	for _, l := range strings.Split(s.stderr.String(), "\n") {
		if strings.Contains(l, "level=ERROR") {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "\nserver errors:\n" + strings.Join(out, "\n")
}

var emailInCommand = regexp.MustCompile(`"email":"([^"]+)"`)

// mailedToken waits for the development-mode log line of a message to
// email with a link to path, and returns the newest such link's token.
func mailedToken(t *testing.T, s *server, email, path string) string {
	t.Helper()
	re := regexp.MustCompile(`to=` + regexp.QuoteMeta(email) + ` .*link=\S+/` + path + `\?token=([A-Za-z0-9_-]+)`)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if all := re.FindAllStringSubmatch(s.stderr.String(), -1); len(all) > 0 {
			return all[len(all)-1][1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s link to %s in the log:\n%s", path, email, s.stderr.String())
		}
	}
}

var createAdminLine = regexp.MustCompile(`^ADMIN_PASSWORD=(\S+) go run \. (create-admin .*)$`)

// TestReadmeExamples pastes the README's API examples, in order, into one
// shell against a fresh server, as a reader would, and checks that each
// command prints what the README shows under it. `go run . create-admin`
// runs in-process against the same database.
func TestReadmeExamples(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed", tool)
			}
			t.Skipf("%s is not installed: skipping the README walk-through", tool)
		}
	}
	steps := readmeSteps(t)
	if len(steps) < 20 {
		t.Fatalf("found %d README steps", len(steps))
	}
	// As a reader runs it: default logging, where development-mode emails go.
	s := startServer(t, map[string]string{"LOG_LEVEL": "info"})

	sh := exec.Command("bash", "--noprofile", "--norc", "-s")
	sh.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	stdin, err := sh.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdoutPipe, err := sh.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	sh.Stderr = &stderr
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = sh.Wait() })
	out := bufio.NewReader(stdoutPipe)
	const marker = "@@readme-step-done@@"
	run := func(command string) string {
		if _, err := io.WriteString(stdin, command+"\necho; echo "+marker+"\n"); err != nil {
			t.Fatalf("shell: %v; stderr: %s", err, stderr.String())
		}
		var b strings.Builder
		lines := make(chan error, 1)
		go func() {
			for {
				l, err := out.ReadString('\n')
				if err != nil {
					lines <- err
					return
				}
				if strings.TrimSpace(l) == marker {
					lines <- nil
					return
				}
				b.WriteString(l)
			}
		}()
		select {
		case err := <-lines:
			if err != nil {
				t.Fatalf("shell output: %v; stderr: %s", err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no answer within 30s to:\n%s", command)
		}
		return b.String()
	}

	// adminCommand runs a `go run . create-admin` line in-process.
	adminCommand := func(st readmeStep, m []string) string {
		vars := map[string]string{}
		for k, v := range s.env {
			vars[k] = v
		}
		vars["ADMIN_PASSWORD"] = m[1]
		code, stdout, errOut := runCommand(vars, "", strings.Fields(m[2])...)
		if code != 0 {
			t.Fatalf("README.md:%d: %s: exit %d: %s", st.line, m[0], code, errOut)
		}
		return stdout
	}
	lastEmail := ""
	for _, st := range steps {
		var got, chunk strings.Builder
		for _, l := range strings.Split(strings.TrimRight(st.command, "\n"), "\n") {
			if l == "B=http://localhost:8080" {
				l = "B=" + s.URL
			}
			if m := emailInCommand.FindStringSubmatch(l); m != nil {
				lastEmail = m[1]
			}
			// T1 and T2 are what a reader copies from the log.
			if strings.Contains(l, `"token":"T1"`) {
				l = strings.ReplaceAll(l, `"token":"T1"`, `"token":"`+mailedToken(t, s, lastEmail, "verify-email")+`"`)
			}
			if strings.Contains(l, `"token":"T2"`) {
				l = strings.ReplaceAll(l, `"token":"T2"`, `"token":"`+mailedToken(t, s, lastEmail, "reset-password")+`"`)
			}
			if m := createAdminLine.FindStringSubmatch(l); m != nil {
				got.WriteString(run(chunk.String()))
				chunk.Reset()
				if out := adminCommand(st, m); st.want != "" {
					got.WriteString(out)
				}
				continue
			}
			chunk.WriteString(l + "\n")
		}
		got.WriteString(run(chunk.String()))
		if st.want == "" {
			if strings.TrimSpace(got.String()) != "" {
				t.Errorf("README.md:%d: prints %q, but the README shows no output:\n%s", st.line, got.String(), st.command)
			}
			continue
		}
		if err := matchShown(st.want, got.String()); err != nil {
			t.Errorf("README.md:%d: %v\n%s# → %s\ngot: %s%s", st.line, err, st.command, st.want, strings.TrimSpace(got.String()), serverErrors(s))
		}
	}
}
