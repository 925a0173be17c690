package password

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
)

func TestPolicyCheck(t *testing.T) {
	exactly1024 := strings.Repeat("k", 1020) + "Zq9!"
	cases := []struct {
		name   string
		policy Policy
		pw     string
		want   gatehouse.Code // "" = accepted
	}{
		{"fine", Policy{}, "correct horse battery staple", ""},
		{"exactly 8 characters", Policy{}, "zq8-Lm2!", ""},
		{"7 characters", Policy{}, "zq8-Lm2", gatehouse.CodePasswordTooShort},
		{"empty", Policy{}, "", gatehouse.CodePasswordTooShort},
		{"custom minimum met", Policy{MinLength: 12}, "zq8-Lm2!vX77", ""},
		{"custom minimum missed", Policy{MinLength: 12}, "zq8-Lm2!vX7", gatehouse.CodePasswordTooShort},
		{"negative minimum means default", Policy{MinLength: -1}, "zq8-Lm2", gatehouse.CodePasswordTooShort},
		{"8 runes of 2 bytes", Policy{}, "éàüöñçøå", ""},
		{"runes counted after normalisation", Policy{MinLength: 9}, strings.Repeat("e\u0301", 8), gatehouse.CodePasswordTooShort},
		{"decomposed reaches minimum", Policy{}, strings.Repeat("e\u0301", 8), ""},
		{"exactly 1024 bytes", Policy{}, exactly1024, ""},
		{"1025 bytes", Policy{}, exactly1024 + "x", gatehouse.CodePasswordTooLong},
		{"1024 bytes of multi-byte runes", Policy{}, strings.Repeat("é", 512), ""},
		{"1026 bytes of multi-byte runes", Policy{}, strings.Repeat("é", 513), gatehouse.CodePasswordTooLong},
		{"too long wins over invalid UTF-8", Policy{}, strings.Repeat("\xff", 2000), gatehouse.CodePasswordTooLong},
		{"too long wins over common", Policy{}, strings.Repeat("a", 1025), gatehouse.CodePasswordTooLong},
		{"invalid UTF-8", Policy{}, "abc\xffdefghij", gatehouse.CodeInvalidRequest},
		{"truncated UTF-8 sequence", Policy{}, "abcdefghij\xc3", gatehouse.CodeInvalidRequest},
		{"common", Policy{}, "baseball", gatehouse.CodePasswordBreached},
		{"common any case", Policy{}, "PaSsWoRd", gatehouse.CodePasswordBreached},
		{"common numeric", Policy{}, "12345678", gatehouse.CodePasswordBreached},
		{"common fullwidth", Policy{}, "ｐａｓｓｗｏｒｄ", gatehouse.CodePasswordBreached},
		{"common but too short: short first", Policy{}, "123456", gatehouse.CodePasswordTooShort},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.policy.Check(c.pw)
			if c.want == "" {
				if err != nil {
					t.Fatalf("Check: %v, want nil", err)
				}
				return
			}
			var ge *gatehouse.Error
			if !errors.As(err, &ge) || ge.Code != c.want {
				t.Fatalf("Check: %v, want code %s", err, c.want)
			}
			if ge.Message == "" || (len(c.pw) >= 4 && strings.Contains(ge.Message, c.pw)) {
				t.Fatalf("message %q must be friendly and not echo the password", ge.Message)
			}
		})
	}
}

func TestPolicyMessages(t *testing.T) {
	err := Policy{MinLength: 10}.Check("short")
	if !strings.Contains(gatehouse.ErrorMessage(err), "10") {
		t.Fatalf("the too-short message should state the minimum: %q", gatehouse.ErrorMessage(err))
	}
	err = Policy{}.Check(strings.Repeat("a", 2000))
	if !strings.Contains(gatehouse.ErrorMessage(err), "1024") {
		t.Fatalf("the too-long message should state the maximum: %q", gatehouse.ErrorMessage(err))
	}
}
