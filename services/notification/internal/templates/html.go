package templates

import (
	"bytes"
	"fmt"
	"html/template"
	"regexp"
	"strings"
)

// block is a paragraph (lines kept as line breaks) or a list.
type block struct {
	Lines [][]segment // a paragraph's lines
	Items [][]segment // a list's items
}

// segment is text or a link.
type segment struct{ Text, URL string }

var (
	link      = regexp.MustCompile(`https?://[^\s"<>]+`)
	blankLine = regexp.MustCompile(`\n\s*\n`)
)

func segments(line string) []segment {
	var out []segment
	for {
		loc := link.FindStringIndex(line)
		if loc == nil {
			break
		}
		url := strings.TrimRight(line[loc[0]:loc[1]], ".,;:)")
		if loc[0] > 0 {
			out = append(out, segment{Text: line[:loc[0]]})
		}
		out = append(out, segment{Text: url, URL: url})
		line = line[loc[0]+len(url):]
	}
	if line != "" {
		out = append(out, segment{Text: line})
	}
	return out
}

// blocks splits a rendered text body into paragraphs at blank lines; a paragraph whose lines all
// start with "- " is a list.
func blocks(text string) []block {
	var out []block
	for _, para := range blankLine.Split(text, -1) {
		lines := strings.Split(strings.TrimSpace(para), "\n")
		if len(lines) == 1 && lines[0] == "" {
			continue
		}
		list := true
		for _, l := range lines {
			list = list && strings.HasPrefix(l, "- ")
		}
		var b block
		for _, l := range lines {
			if list {
				b.Items = append(b.Items, segments(strings.TrimPrefix(l, "- ")))
			} else {
				b.Lines = append(b.Lines, segments(l))
			}
		}
		out = append(out, b)
	}
	return out
}

// page is the HTML part: simple, readable without images or styles the mail client may drop, and
// escaped by html/template (a course title with "<" or "&" stays text).
var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Subject}}</title>
</head>
<body style="margin:0;padding:16px;background:#ffffff;color:#1a1a1a;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5">
<div style="max-width:40em;margin:0 auto">
<h1 style="font-size:20px;line-height:1.3;margin:0 0 16px">{{.Subject}}</h1>
{{range .Blocks}}{{if .Items}}<ul>
{{range .Items}}<li>{{template "line" .}}</li>
{{end}}</ul>
{{else}}<p>{{range $i, $l := .Lines}}{{if $i}}<br>
{{end}}{{template "line" $l}}{{end}}</p>
{{end}}{{end}}<hr style="border:0;border-top:1px solid #cccccc;margin:24px 0 8px">
<p style="font-size:14px;color:#555555">{{.Signature}}</p>
</div>
</body>
</html>
{{define "line"}}{{range .}}{{if .URL}}<a href="{{.URL}}" style="color:#0b5394">{{.Text}}</a>{{else}}{{.Text}}{{end}}{{end}}{{end}}`))

func toHTML(lang, subject, body string) (string, error) {
	var b bytes.Buffer
	err := page.Execute(&b, struct {
		Lang, Subject, Signature string
		Blocks                   []block
	}{lang, subject, signature[lang], blocks(body)})
	if err != nil {
		return "", fmt.Errorf("render html: %w", err)
	}
	return b.String(), nil
}
