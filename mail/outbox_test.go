package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/mail/mailtest"
)

func TestDevOutbox(t *testing.T) {
	c := newTestComposer(t, "")
	reset := resetMail(t)
	code, err := c.Compose(KindVerifyEmail, "bob@example.com", map[string]any{"Code": "042917", "ExpiresIn": 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		mail     *gatehouse.OutboundMail
		logKey   string
		logValue string
	}{
		{"link", reset, "link", testPublicURL + "/reset-password?token=gth_rst_Zq9"},
		{"code", code, "code", "042917"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "outbox") // created by the first Send
			var logs bytes.Buffer
			o, err := NewDevOutbox(dir, testFrom, slog.New(slog.NewJSONHandler(&logs, nil)))
			if err != nil {
				t.Fatalf("NewDevOutbox: %v", err)
			}
			m := tt.mail
			if err := o.Send(context.Background(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			data, err := os.ReadFile(filepath.Join(dir, m.ID+".eml"))
			if err != nil {
				t.Fatalf("the .eml file: %v", err)
			}
			d, err := mailtest.Message{Data: data}.Decode()
			if err != nil {
				t.Fatalf("decode the .eml: %v", err)
			}
			if d.Subject != m.Subject || d.To != "<"+m.To+">" || d.Text != m.Text || d.HTML != m.HTML {
				t.Errorf("the .eml differs from the mail: subject %q to %q", d.Subject, d.To)
			}
			var line map[string]any
			if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
				t.Fatalf("want one JSON log line, got %q: %v", logs.String(), err)
			}
			if line["to"] != m.To || line["subject"] != m.Subject || line[tt.logKey] != tt.logValue {
				t.Errorf("log line %v: want to, subject and %s=%s", line, tt.logKey, tt.logValue)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("outbox holds %d files, want 1 (no temporary files left)", len(entries))
			}
		})
	}
}
