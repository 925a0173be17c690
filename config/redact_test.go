package config

import "testing"

func TestRedactURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no userinfo", "postgres://db:5432/gh", "postgres://db:5432/gh"},
		{"user only", "postgres://gh@db/gh", "postgres://gh@db/gh"},
		{"user and password", "postgres://gh:pw@db/gh", "postgres://gh:xxxxx@db/gh"},
		{"password only", "redis://:pw@cache:6379/0", "redis://:xxxxx@cache:6379/0"},
		{"@ in password", "smtp://u:p@ss@mail:25", "smtp://u:xxxxx@mail:25"},
		{"password query", "postgres://db/gh?sslmode=disable&password=pw&x=1", "postgres://db/gh?sslmode=disable&password=xxxxx&x=1"},
		{"sslpassword query", "postgres://db/gh?sslpassword=pw", "postgres://db/gh?sslpassword=xxxxx"},
		{"key/value DSN", "host=db password=pw user=gh", "host=db password=xxxxx user=gh"},
		{"no scheme", "gh:pw@db/gh", "gh:xxxxx@db/gh"},
		{"missing colon after scheme", "postgres//gh:pw@db/gh", "postgres//gh:xxxxx@db/gh"},
		{"invalid escape", "smtp://u:p%zz@mail", "smtp://u:xxxxx@mail"},
		{"plain path", "sqlite://gatehouse.db", "sqlite://gatehouse.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redactURL(tt.in); got != tt.want {
				t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
