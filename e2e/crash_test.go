package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles cmd/gatehouse once per test binary run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gatehouse")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/gatehouse")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build gatehouse: %v", err)
	}
	return bin
}

// process is a gatehouse binary running `serve`.
type process struct {
	cmd  *exec.Cmd
	base string

	mu        sync.Mutex
	lines     []string      // what it wrote to stderr, line by line
	stderrEOF chan struct{} // closed once stderr is closed (the process has exited)
}

// stderrLines waits until the process has closed stderr and returns everything it wrote.
func (p *process) stderrLines(t *testing.T) []string {
	t.Helper()
	select {
	case <-p.stderrEOF:
	case <-time.After(30 * time.Second):
		t.Fatal("gatehouse serve did not close stderr")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.lines)
}

// runServe starts the binary with env and waits for its "ready" log line to learn the URL.
func runServe(t *testing.T, bin string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), append([]string{"GATEHOUSE_ADDR=127.0.0.1:0", "GATEHOUSE_LOG_FORMAT=json",
		"GATEHOUSE_MAIL_OUTBOX_DIR=" + filepath.Join(t.TempDir(), "dev-outbox")}, env...)...) // never the source tree
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	p := &process{cmd: cmd, stderrEOF: make(chan struct{})}
	ready := make(chan string, 1)
	go func() {
		defer close(p.stderrEOF)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			var line struct {
				Msg    string `json:"msg"`
				Listen string `json:"listen"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "gatehouse is ready" {
				ready <- line.Listen
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case base := <-ready:
		p.base = base
		return p
	case <-time.After(30 * time.Second):
		t.Fatal("gatehouse serve did not become ready within 30s")
	}
	return nil
}

// TestCrashAfterRegisterLosesNothing kills the server with SIGKILL right after a 201 from
// register, restarts it on the same database, and signs in.
func TestCrashAfterRegisterLosesNothing(t *testing.T) {
	bin := buildBinary(t)
	eachBackend(t, func(t *testing.T, dbURL string) {
		env := []string{"GATEHOUSE_DATABASE_URL=" + dbURL}
		p := runServe(t, bin, env...)
		s := &server{t: t, base: p.base}
		tok, _ := s.register("crashy", goodPassword, "crashy@example.com")
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = p.cmd.Wait()

		p = runServe(t, bin, env...)
		s = &server{t: t, base: p.base}
		r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": "crashy", "password": goodPassword})
		mustStatus(t, r, http.StatusOK)
		mustStatus(t, s.do("GET", "/v1/me", tok, nil), http.StatusOK)
	})
}

// TestGracefulShutdown sends SIGTERM while a request is in flight (its body half sent): the
// request still completes, the process exits 0, and its log reaches stderr whole: the access
// line of that last request and the final "stopped cleanly", though log lines are written in
// batches (logwriter) and these come within the last batch.
func TestGracefulShutdown(t *testing.T) {
	bin := buildBinary(t)
	dbURL := backends()[0].dbURL(t)
	p := runServe(t, bin, "GATEHOUSE_DATABASE_URL="+dbURL)
	body := `{"username":"inflight","password":"` + goodPassword + `"}`
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequestWithContext(context.Background(), "POST", p.base+"/v1/auth/register", pr)
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = int64(len(body))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Logf("in-flight request failed: %v", err)
			done <- 0
			return
		}
		res.Body.Close()
		done <- res.StatusCode
	}()
	if _, err := pw.Write([]byte(body[:10])); err != nil { // headers and a first part are sent
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the server start reading it (not a speed assertion)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := pw.Write([]byte(body[10:])); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if st := <-done; st != http.StatusCreated {
		t.Fatalf("in-flight request got %d, want 201", st)
	}
	lines := p.stderrLines(t) // before Wait, which closes the pipe
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("gatehouse serve did not exit cleanly on SIGTERM: %v", err)
	}
	var accessLine, stopped bool
	for _, l := range lines {
		var line struct {
			Msg, Route string
			Status     int
		}
		if json.Unmarshal([]byte(l), &line) != nil {
			continue
		}
		accessLine = accessLine || (line.Msg == "request" && line.Route == "POST /v1/auth/register" && line.Status == http.StatusCreated)
		stopped = stopped || line.Msg == "stopped cleanly"
	}
	if !accessLine || !stopped {
		t.Fatalf("stderr lacks the in-flight request's access line (%v) or \"stopped cleanly\" (%v):\n%s",
			accessLine, stopped, strings.Join(lines, "\n"))
	}
}
