package channels

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// MeMoNamespace is the namespace of MeMo, the Danish Digital Post message format (Digitaliseringsstyrelsen).
const MeMoNamespace = "https://DigitalPost.dk/MeMo-1"

// DigitalPostDir is the development Digital Post provider: it writes each message as a MeMo 1.1 XML
// document, <message id>.xml, in Dir, the document a sender system hands to the Digital Post provider
// (through Serviceplatformen's SF1601 "KombiPostAfsend").
//
// The recipient is named by the citizen's pseudonymous Livslang id (idType PSEUDONYM), never a CPR
// number: notification does not hold CPR numbers. A production provider resolves the pseudonym to the
// CPR number inside the municipality's trusted zone, just before it hands the document over.
//
// Deduplication: messageUUID is the message id, which Digital Post uses to refuse a second message with
// the same UUID; here a file that already exists is not written again.
type DigitalPostDir struct {
	Dir         string
	SenderID    string           // the authority's CVR number
	SenderLabel string           // e.g. "Herning Kommune"
	Now         func() time.Time // createdDateTime; default time.Now
}

// MeMo is the subset of MeMo 1.1 that Livslang writes. Elements are in the schema's order.
type MeMo struct {
	XMLName        xml.Name   `xml:"memo:Message"`
	Namespace      string     `xml:"xmlns:memo,attr"`
	MemoVersion    string     `xml:"memoVersion,attr"`
	MemoSchVersion string     `xml:"memoSchVersion,attr"`
	Header         MeMoHeader `xml:"memo:MessageHeader"`
	Body           MeMoBody   `xml:"memo:MessageBody"`
}

// MeMoHeader is the envelope: type, UUID, label (the title the citizen sees), sender and recipient.
type MeMoHeader struct {
	MessageType       string        `xml:"memo:messageType"`
	MessageUUID       string        `xml:"memo:messageUUID"`
	MessageID         string        `xml:"memo:messageID,omitempty"` // the sender's own reference
	Label             string        `xml:"memo:label"`
	Mandatory         bool          `xml:"memo:mandatory"`
	LegalNotification bool          `xml:"memo:legalNotification"`
	Sender            MeMoSender    `xml:"memo:Sender"`
	Recipient         MeMoRecipient `xml:"memo:Recipient"`
}

// MeMoSender is the authority sending.
type MeMoSender struct {
	SenderID string `xml:"memo:senderID"`
	IDType   string `xml:"memo:idType"`
	Label    string `xml:"memo:label"`
}

// MeMoRecipient is the citizen, by pseudonymous id.
type MeMoRecipient struct {
	RecipientID string `xml:"memo:recipientID"`
	IDType      string `xml:"memo:idType"`
	Label       string `xml:"memo:label"`
}

// MeMoBody holds the main document.
type MeMoBody struct {
	CreatedDateTime string       `xml:"memo:createdDateTime"`
	MainDocument    MeMoDocument `xml:"memo:MainDocument"`
}

// MeMoDocument is the letter, as plain text and as HTML.
type MeMoDocument struct {
	MainDocumentID string     `xml:"memo:mainDocumentID"`
	Label          string     `xml:"memo:label"`
	Files          []MeMoFile `xml:"memo:File"`
}

// MeMoFile is one representation of the letter; Content is base64.
type MeMoFile struct {
	EncodingFormat string `xml:"memo:encodingFormat"`
	Filename       string `xml:"memo:filename"`
	Language       string `xml:"memo:language"`
	Content        string `xml:"memo:content"`
}

// Send writes m as <Dir>/<m.ID>.xml, atomically (a reader never sees half a document).
func (d DigitalPostDir) Send(ctx context.Context, m Message) (string, error) {
	if m.RecipientID == "" {
		return "", Permanent(errors.New("no recipient"))
	}
	path := filepath.Join(d.Dir, m.ID+".xml")
	if _, err := os.Stat(path); err == nil {
		return path, nil // delivered before
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	doc := MeMo{
		Namespace: MeMoNamespace, MemoVersion: "1.1", MemoSchVersion: "1.1.0",
		Header: MeMoHeader{
			MessageType: "DIGITALPOST", MessageUUID: m.ID, Label: m.Subject,
			Mandatory: false, LegalNotification: m.Decision,
			Sender:    MeMoSender{SenderID: d.SenderID, IDType: "CVR", Label: d.SenderLabel},
			Recipient: MeMoRecipient{RecipientID: m.RecipientID, IDType: "PSEUDONYM", Label: m.Name},
		},
		Body: MeMoBody{
			CreatedDateTime: now().UTC().Format(time.RFC3339),
			MainDocument: MeMoDocument{MainDocumentID: m.ID, Label: m.Subject, Files: []MeMoFile{
				{EncodingFormat: "text/plain", Filename: "brev.txt", Language: m.Language,
					Content: base64.StdEncoding.EncodeToString([]byte(m.Text))},
				{EncodingFormat: "text/html", Filename: "brev.html", Language: m.Language,
					Content: base64.StdEncoding.EncodeToString([]byte(m.HTML))},
			}},
		},
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return "", fmt.Errorf("digital post: %w", err)
	}
	out = append([]byte(xml.Header), append(out, '\n')...)
	if err := os.MkdirAll(d.Dir, 0o755); err != nil {
		return "", fmt.Errorf("digital post: %w", err)
	}
	tmp, err := os.CreateTemp(d.Dir, ".writing-*")
	if err != nil {
		return "", fmt.Errorf("digital post: %w", err)
	}
	_, err = tmp.Write(out)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("digital post: %w", err)
	}
	return path, nil
}

// ReadMeMo reads a MeMo document written by DigitalPostDir.
func ReadMeMo(path string) (MeMo, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return MeMo{}, err
	}
	// Decoding matches names without the prefix binding, so decode into a prefix-free mirror.
	var doc struct {
		Header struct {
			MessageType       string `xml:"messageType"`
			MessageUUID       string `xml:"messageUUID"`
			MessageID         string `xml:"messageID"`
			Label             string `xml:"label"`
			Mandatory         bool   `xml:"mandatory"`
			LegalNotification bool   `xml:"legalNotification"`
			Sender            struct {
				SenderID string `xml:"senderID"`
				IDType   string `xml:"idType"`
				Label    string `xml:"label"`
			} `xml:"Sender"`
			Recipient struct {
				RecipientID string `xml:"recipientID"`
				IDType      string `xml:"idType"`
				Label       string `xml:"label"`
			} `xml:"Recipient"`
		} `xml:"MessageHeader"`
		Body struct {
			CreatedDateTime string `xml:"createdDateTime"`
			MainDocument    struct {
				MainDocumentID string `xml:"mainDocumentID"`
				Label          string `xml:"label"`
				Files          []struct {
					EncodingFormat string `xml:"encodingFormat"`
					Filename       string `xml:"filename"`
					Language       string `xml:"language"`
					Content        string `xml:"content"`
				} `xml:"File"`
			} `xml:"MainDocument"`
		} `xml:"MessageBody"`
	}
	if err := xml.Unmarshal(raw, &doc); err != nil {
		return MeMo{}, err
	}
	h, b := doc.Header, doc.Body
	m := MeMo{Namespace: MeMoNamespace,
		Header: MeMoHeader{MessageType: h.MessageType, MessageUUID: h.MessageUUID, MessageID: h.MessageID, Label: h.Label,
			Mandatory: h.Mandatory, LegalNotification: h.LegalNotification,
			Sender:    MeMoSender{SenderID: h.Sender.SenderID, IDType: h.Sender.IDType, Label: h.Sender.Label},
			Recipient: MeMoRecipient{RecipientID: h.Recipient.RecipientID, IDType: h.Recipient.IDType, Label: h.Recipient.Label}},
		Body: MeMoBody{CreatedDateTime: b.CreatedDateTime,
			MainDocument: MeMoDocument{MainDocumentID: b.MainDocument.MainDocumentID, Label: b.MainDocument.Label}},
	}
	for _, f := range b.MainDocument.Files {
		m.Body.MainDocument.Files = append(m.Body.MainDocument.Files, MeMoFile(f))
	}
	return m, nil
}
