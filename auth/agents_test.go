package auth

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/token"
)

func TestAgentManager(t *testing.T) {
	person := &gatehouse.User{ID: "usr_1", Kind: gatehouse.KindUser}
	agentAccount := &gatehouse.User{ID: "usr_2", Kind: gatehouse.KindAgent}
	for name, c := range map[string]struct {
		p  *gatehouse.Principal
		ok bool
	}{
		"session":          {&gatehouse.Principal{User: person, Credential: gatehouse.CredentialSession}, true},
		"PAT":              {&gatehouse.Principal{User: person, PAT: &gatehouse.PersonalAccessToken{}, Credential: gatehouse.CredentialPAT}, true},
		"agent session":    {&gatehouse.Principal{User: agentAccount, Agent: &gatehouse.Agent{}, Credential: gatehouse.CredentialAgentSession}, false},
		"agent account":    {&gatehouse.Principal{User: agentAccount, Credential: gatehouse.CredentialSession}, false},
		"API key":          {&gatehouse.Principal{APIKey: &gatehouse.APIKey{}, Credential: gatehouse.CredentialAPIKey}, false},
		"nil principal":    {nil, false},
		"principal no one": {&gatehouse.Principal{}, false},
	} {
		t.Run(name, func(t *testing.T) {
			err := agentManager(c.p)
			if (err == nil) != c.ok {
				t.Fatalf("agentManager: %v, want ok=%v", err, c.ok)
			}
			if err != nil && gatehouse.ErrorCode(err) != gatehouse.CodeInsufficientPerms {
				t.Fatalf("code %s", gatehouse.ErrorCode(err))
			}
		})
	}
}

func TestAgentUsername(t *testing.T) {
	f := newFixture(t, nil)
	seen := map[string]bool{}
	for i := 0; i < 500; i++ {
		name, err := f.agents.agentUsername()
		if err != nil {
			t.Fatal(err)
		}
		if err := gatehouse.ValidateUsername(name); err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		rest, ok := strings.CutPrefix(name, agentUsernamePrefix)
		if !ok || len(rest) != agentUsernameRandom || strings.Trim(rest, "0123456789abcdefghijklmnopqrstuvwxyz") != "" {
			t.Fatalf("%q is not agent- and 10 base36 characters", name)
		}
		if seen[name] {
			t.Fatalf("%q drawn twice", name)
		}
		seen[name] = true
	}
}

func TestAgentUsernameRandomnessFailure(t *testing.T) {
	f := newFixture(t, nil)
	f.agents.random = failingReader{}
	if _, err := f.agents.agentUsername(); err == nil {
		t.Fatal("no error when the random source fails")
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

// TestAgentSignInRefusals checks the exchange's answers for tokens that never reach a session.
func TestAgentSignInRefusals(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	owner, err := f.svc.Accounts.Register(ctx, RegisterInput{Username: "owner", Password: "a long enough password"}, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	p := &gatehouse.Principal{User: owner.User, Session: owner.Session, Credential: gatehouse.CredentialSession}
	g, err := f.agents.Create(ctx, p, AgentInput{Name: "bot"}, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := token.Generator{Brand: "cru"}.New(token.KindAgent)
	pat, _ := token.Generator{Brand: "gth"}.New(token.KindPAT)
	unknown, _ := token.Generator{Brand: "gth"}.New(token.KindAgent)
	for name, c := range map[string]struct {
		tok  string
		code gatehouse.Code
	}{
		"unverified":    {g.Token, gatehouse.CodeAgentNotVerified},
		"other brand":   {other, gatehouse.CodeInvalidToken},
		"another kind":  {pat, gatehouse.CodeInvalidToken},
		"unknown":       {unknown, gatehouse.CodeInvalidToken},
		"empty":         {"", gatehouse.CodeInvalidToken},
		"session token": {owner.Token, gatehouse.CodeInvalidToken},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.svc.SignIn.AgentSignIn(ctx, c.tok, Meta{})
			if gatehouse.ErrorCode(err) != c.code {
				t.Fatalf("got %v, want %s", err, c.code)
			}
		})
	}
	if _, err := f.agents.Verify(ctx, p, g.Agent.ID, Meta{}); err != nil {
		t.Fatal(err)
	}
	s, err := f.svc.SignIn.AgentSignIn(ctx, g.Token, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	ap, err := f.svc.Sessions.Authenticate(ctx, s.Token, Meta{})
	if err != nil || ap.Agent == nil || ap.Agent.ID != g.Agent.ID || ap.Credential != gatehouse.CredentialAgentSession {
		t.Fatalf("agent session principal: %+v, %v", ap, err)
	}
	if _, err := f.agents.Create(ctx, ap, AgentInput{Name: "child"}, Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInsufficientPerms {
		t.Fatalf("an agent created an agent: %v", err)
	}
}

// TestReportLeaksNotOurs checks that tokens Gatehouse does not hold are false positives.
func TestReportLeaksNotOurs(t *testing.T) {
	f := newFixture(t, nil)
	var reports []LeakReport
	for _, k := range token.Kinds {
		tok, _ := token.Generator{Brand: "gth"}.New(k)
		reports = append(reports, LeakReport{Token: tok, Type: string(k)})
		foreign, _ := token.Generator{Brand: "xyz"}.New(k)
		reports = append(reports, LeakReport{Token: foreign, Type: string(k)})
	}
	reports = append(reports, LeakReport{Token: "gth_pat_short"}, LeakReport{Token: ""})
	verdicts, err := NewLeakReports(f.store, "gth", Options{}).Report(context.Background(), reports, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if len(verdicts) != len(reports) {
		t.Fatalf("%d verdicts for %d reports", len(verdicts), len(reports))
	}
	for i, v := range verdicts {
		if v.TruePositive || v.Report != reports[i] {
			t.Fatalf("verdict %d: %+v", i, v)
		}
	}
}
