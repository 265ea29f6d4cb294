package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed templates
var templateFiles embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.ParseFS(templateFiles, "templates/*.txt"))
	htmlTemplates = htmltemplate.Must(htmltemplate.ParseFS(templateFiles, "templates/*.html"))
)

// kindInfo is what differs between the kinds of message.
type kindInfo struct {
	subject string
	path    string // the page the link opens
}

var kinds = map[string]kindInfo{
	"verify": {subject: "Verify your email address", path: "/verify-email"},
	"reset":  {subject: "Reset your password", path: "/reset-password"},
}

// Message is one rendered email.
type Message struct {
	ID      string // Message-ID, stable per outbox row
	To      string
	Subject string
	Text    string
	HTML    string
	Link    string
}

type templateData struct {
	Name, Email, Link, Expires string
}

// Render builds the message of kind for token. The link is
// {appURL}{path}?token=T, on a line of its own in the text part.
func Render(kind, appURL, toEmail, toName, token string, ttl time.Duration) (*Message, error) {
	k, ok := kinds[kind]
	if !ok {
		return nil, fmt.Errorf("mail: unknown message kind %q", kind)
	}
	link := strings.TrimRight(appURL, "/") + k.path + "?token=" + token
	name := toName
	if name == "" {
		name = toEmail
	}
	d := templateData{Name: oneLine(name), Email: toEmail, Link: link, Expires: humanDuration(ttl)}
	var text, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&text, kind+".txt", d); err != nil {
		return nil, err
	}
	if err := htmlTemplates.ExecuteTemplate(&html, kind+".html", d); err != nil {
		return nil, err
	}
	return &Message{To: toEmail, Subject: k.subject, Text: text.String(), HTML: html.String(), Link: link}, nil
}

// oneLine keeps a user-chosen name from breaking the text layout.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "a short while"
	case d%time.Hour == 0 && d >= time.Hour:
		if h := int(d / time.Hour); h != 1 {
			return fmt.Sprintf("%d hours", h)
		}
		return "1 hour"
	default:
		if m := int((d + time.Minute - 1) / time.Minute); m != 1 {
			return fmt.Sprintf("%d minutes", m)
		}
		return "1 minute"
	}
}
