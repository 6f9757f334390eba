package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"livslang.dk/services/portal/internal/api"
	"livslang.dk/services/portal/internal/i18n"
)

// Form is a form's values and its errors, field by field, for showing it again.
type Form struct {
	Values map[string][]string
	Errors map[string]string
	// Summary lists the errors in field order, for the summary at the top.
	Summary []FieldMessage
	// Scope names which of several forms on a page the errors belong to.
	Scope string
	// Key is the idempotency key of this rendering of the form.
	Key string
}

// FieldMessage is one error of the summary: the field's id, its label and the message.
type FieldMessage struct {
	ID, Label, Message string
}

func formFrom(r *http.Request) *Form {
	_ = r.ParseForm()
	return &Form{Values: r.PostForm, Errors: map[string]string{}}
}

// Get is a field's value.
func (f *Form) Get(name string) string {
	if f == nil || f.Values == nil {
		return ""
	}
	return strings.TrimSpace(strings.Join(f.Values[name], ""))
}

// Has reports whether a checkbox or radio value is chosen.
func (f *Form) Has(name, value string) bool {
	if f == nil || f.Values == nil {
		return false
	}
	for _, v := range f.Values[name] {
		if v == value {
			return true
		}
	}
	return false
}

// Set sets a field's value.
func (f *Form) Set(name, value string) {
	if f.Values == nil {
		f.Values = map[string][]string{}
	}
	f.Values[name] = []string{value}
}

// Err is a field's error message.
func (f *Form) Err(name string) string {
	if f == nil || f.Errors == nil {
		return ""
	}
	return f.Errors[name]
}

// Shows reports whether the form of scope shows the posted values: every form on a first rendering,
// only the posted one after an error.
func (f *Form) Shows(scope any) bool {
	s, _ := scope.(string)
	return f == nil || f.Scope == "" || f.Scope == s
}

// Failed reports whether the form has errors.
func (f *Form) Failed() bool { return f != nil && len(f.Summary) > 0 }

// Add records an error on a field (its id); label and message are translated already.
func (f *Form) Add(id, label, message string) {
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	if id != "" && f.Scope != "" {
		id = f.Scope + "-" + id // several forms on one page: ids are unique per form
	}
	if _, dup := f.Errors[id]; dup && id != "" {
		return
	}
	f.Errors[id] = message
	f.Summary = append(f.Summary, FieldMessage{ID: id, Label: label, Message: message})
}

// fieldID is the form field of an API field ("education.level" → "education_level").
func fieldID(apiField string) string { return strings.ReplaceAll(apiField, ".", "_") }

// addAPIErrors puts an API's field errors on the form: the catalogue's message for the field in the
// user's language where it has one, else the API's own words. labels maps field ids to label keys.
func (f *Form) addAPIErrors(l i18n.Lang, err error, labels map[string]string) bool {
	fields := api.FieldErrors(err)
	if len(fields) == 0 {
		return false
	}
	for _, fe := range fields {
		id := fieldID(fe.Field)
		labelKey, known := labels[id]
		if !known {
			labelKey = "form.request"
			id = ""
		}
		msg := fe.Message
		if l.Has("err." + id) {
			msg = l.T("err." + id)
		} else if l == i18n.DA {
			msg = l.T("err.generic", fe.Message)
		}
		f.Add(id, l.T(labelKey), msg)
	}
	return true
}

// require records an error for an empty field.
func (f *Form) require(l i18n.Lang, id, labelKey string) {
	if f.Get(id) == "" {
		f.Add(id, l.T(labelKey), l.T("err.required"))
	}
}

// number parses an optional number field (comma or point as decimal mark).
func (f *Form) number(l i18n.Lang, id, labelKey string) float64 {
	v := f.Get(id)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseFloat(strings.ReplaceAll(strings.ReplaceAll(v, ".", ""), ",", "."), 64)
	if strings.Count(v, ".") == 1 && !strings.Contains(v, ",") {
		n, err = strconv.ParseFloat(v, 64) // 37.5 is a decimal point, not a thousands separator
	}
	if err != nil {
		f.Add(id, l.T(labelKey), l.T("err.number"))
	}
	return n
}

// whole parses an optional whole number field.
func (f *Form) whole(l i18n.Lang, id, labelKey string) int {
	v := strings.NewReplacer(".", "", " ", "").Replace(f.Get(id))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		f.Add(id, l.T(labelKey), l.T("err.whole"))
	}
	return n
}

func as(err error, target **api.Error) bool { return errors.As(err, target) }
