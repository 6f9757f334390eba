package smtptest

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Parts is a message's decoded subject and its text and HTML parts.
type Parts struct {
	Subject, Text, HTML string
}

// Decode reads a multipart/alternative message (or a single-part one) from its raw form.
func Decode(raw string) (Parts, error) {
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		return Parts{}, err
	}
	var p Parts
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		return Parts{}, err
	}
	contentType := m.Header.Get("Content-Type")
	if contentType == "" {
		contentType = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return Parts{}, err
	}
	read := func(r io.Reader, encoding, contentType string) error {
		if strings.EqualFold(encoding, "quoted-printable") {
			r = quotedprintable.NewReader(r)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		if strings.HasPrefix(contentType, "text/html") {
			p.HTML = string(b)
		} else {
			p.Text = string(b)
		}
		return nil
	}
	if !strings.HasPrefix(mediaType, "multipart/") {
		return p, read(m.Body, m.Header.Get("Content-Transfer-Encoding"), mediaType)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return p, nil
		}
		if err != nil {
			return Parts{}, err
		}
		if err := read(part, part.Header.Get("Content-Transfer-Encoding"), part.Header.Get("Content-Type")); err != nil {
			return Parts{}, err
		}
	}
}
