package smtptest

import (
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

type mimeDecoder struct{ mime.WordDecoder }

func (d *mimeDecoder) decode(s string) string {
	out, err := d.DecodeHeader(s)
	if err != nil {
		return s
	}
	return out
}

// readAll returns the body, decoding quoted-printable when the message says so.
func readAll(m *mail.Message) string {
	var r io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, _ := io.ReadAll(r)
	return string(b)
}
