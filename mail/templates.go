package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	texttemplate "text/template"
	"time"
)

// Kinds of mail, one per template set.
const (
	KindVerifyEmail      = "verify_email"      // data: Code, ExpiresIn; optional Username
	KindPasswordReset    = "password_reset"    // data: Link, ExpiresIn; optional Username
	KindMagicLink        = "magic_link"        // data: Link, ExpiresIn
	KindCredentialLeaked = "credential_leaked" // data: Kind, Prefix, URL
	// The three mails of an email change (API.md "Email change").
	KindEmailChange       = "email_change"        // to the new address; data: Code, ExpiresIn; optional Username
	KindEmailInUse        = "email_in_use"        // to a new address another account holds; data: Email
	KindEmailChangeNotice = "email_change_notice" // to the address in force; data: optional NewEmail ("": the address was removed), Username
)

// required lists the data keys each kind needs; Compose refuses data without them.
var required = map[string][]string{
	KindVerifyEmail:       {"Code", "ExpiresIn"},
	KindPasswordReset:     {"Link", "ExpiresIn"},
	KindMagicLink:         {"Link", "ExpiresIn"},
	KindCredentialLeaked:  {"Kind", "Prefix", "URL"},
	KindEmailChange:       {"Code", "ExpiresIn"},
	KindEmailInUse:        {"Email"},
	KindEmailChangeNotice: nil,
}

// Kinds lists the kinds of mail there are templates for.
func Kinds() []string {
	return []string{KindVerifyEmail, KindPasswordReset, KindMagicLink, KindCredentialLeaked,
		KindEmailChange, KindEmailInUse, KindEmailChangeNotice}
}

//go:embed templates/*.txt templates/*.html
var embedded embed.FS

// templateSet is the parsed templates of one kind.
type templateSet struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// funcs are the functions templates may call.
var funcs = map[string]any{
	"duration": humanDuration,
}

// parseTemplates parses the embedded templates of every kind, each file replaced by the file of
// the same name in dir when dir is not empty and has it (<kind>.subject.txt, <kind>.txt,
// <kind>.html). A file of dir that does not parse is an error naming it.
func parseTemplates(dir string) (map[string]*templateSet, error) {
	sets := make(map[string]*templateSet, len(required))
	for _, kind := range Kinds() {
		var set templateSet
		src, name, err := source(dir, kind+".subject.txt")
		if err != nil {
			return nil, err
		}
		if set.subject, err = texttemplate.New(name).Funcs(funcs).Option("missingkey=zero").Parse(src); err != nil {
			return nil, fmt.Errorf("mail template %s: %w", name, err)
		}
		if src, name, err = source(dir, kind+".txt"); err != nil {
			return nil, err
		}
		if set.text, err = texttemplate.New(name).Funcs(funcs).Option("missingkey=zero").Parse(src); err != nil {
			return nil, fmt.Errorf("mail template %s: %w", name, err)
		}
		if src, name, err = source(dir, kind+".html"); err != nil {
			return nil, err
		}
		if set.html, err = htmltemplate.New(name).Funcs(funcs).Option("missingkey=zero").Parse(src); err != nil {
			return nil, fmt.Errorf("mail template %s: %w", name, err)
		}
		sets[kind] = &set
	}
	return sets, nil
}

// source returns the text of one template file: dir's copy when there is one, else the embedded
// one. name is what errors call it (the override's path, or "embedded:<file>").
func source(dir, file string) (text, name string, err error) {
	if dir != "" {
		path := filepath.Join(dir, file)
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			return string(b), path, nil
		case !errors.Is(err, fs.ErrNotExist):
			return "", path, fmt.Errorf("mail template %s: %w", path, err)
		}
	}
	b, err := embedded.ReadFile("templates/" + file)
	if err != nil {
		return "", file, fmt.Errorf("embedded mail template %s: %w", file, err)
	}
	return string(b), "embedded:" + file, nil
}

// render executes the three templates of set on data. The subject is collapsed to one line.
func (set *templateSet) render(data map[string]any) (subject, text, html string, err error) {
	var b bytes.Buffer
	if err := set.subject.Execute(&b, data); err != nil {
		return "", "", "", fmt.Errorf("subject: %w", err)
	}
	subject = strings.Join(strings.Fields(b.String()), " ")
	b.Reset()
	if err := set.text.Execute(&b, data); err != nil {
		return "", "", "", fmt.Errorf("text: %w", err)
	}
	text = b.String()
	b.Reset()
	if err := set.html.Execute(&b, data); err != nil {
		return "", "", "", fmt.Errorf("html: %w", err)
	}
	return subject, text, b.String(), nil
}

// humanDuration writes a lifetime the way a person says it: "10 minutes", "1 hour", "1 hour 30
// minutes". Other values (a string the caller formatted) are printed as they are.
func humanDuration(v any) string {
	d, ok := v.(time.Duration)
	if !ok {
		return fmt.Sprint(v)
	}
	if d < time.Minute || d%time.Minute != 0 {
		return d.String()
	}
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	var parts []string
	if days := int64(d / (24 * time.Hour)); days > 0 && d%(24*time.Hour) == 0 {
		return plural(days, "day")
	}
	if h := int64(d / time.Hour); h > 0 {
		parts = append(parts, plural(h, "hour"))
	}
	if m := int64(d % time.Hour / time.Minute); m > 0 {
		parts = append(parts, plural(m, "minute"))
	}
	return strings.Join(parts, " ")
}
