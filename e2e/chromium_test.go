package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browserStepTimeout bounds every chromedp step, so that a hang fails the test instead of
// blocking it; browserTestTimeout bounds the browser's whole life, its launch included.
const (
	browserStepTimeout = 15 * time.Second
	browserTestTimeout = 60 * time.Second
)

// chromiumPath returns the Chromium to drive. Without one the test is skipped, unless
// GATEHOUSE_TEST_BROWSER=1 (CI) demands it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("GATEHOUSE_TEST_BROWSER") == "1" {
		t.Fatal("GATEHOUSE_TEST_BROWSER=1 but Chromium is not installed (apt-get install -y chromium)")
	}
	t.Skip("Chromium is not installed (apt-get install -y chromium); set GATEHOUSE_TEST_BROWSER=1 to make this a failure")
	return ""
}

// headlessChromium starts a fresh headless Chromium (its own profile in t.TempDir()) and
// returns the context of its first tab. Everything is torn down when the test ends; the whole
// browser lives at most browserTestTimeout. chromedp's own errors are shown if the test fails.
func headlessChromium(t *testing.T) context.Context {
	t.Helper()
	exe := chromiumPath(t)
	profile := chromiumProfile(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1024, 800),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-crash-reporter", true),
	)
	ctx, cancelTimeout := context.WithTimeout(context.Background(), browserTestTimeout)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	var mu sync.Mutex
	var logs strings.Builder
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(&logs, format+"\n", args...)
	}
	ctx, cancelBrowser := chromedp.NewContext(ctx, chromedp.WithErrorf(logf))
	t.Cleanup(func() {
		cancelBrowser() // closes Chromium and waits for it
		cancelAlloc()
		cancelTimeout()
		mu.Lock()
		defer mu.Unlock()
		if t.Failed() && logs.Len() > 0 {
			t.Logf("chromedp errors:\n%s", logs.String())
		}
	})
	// The first Run launches Chromium and ties the browser's life to its context: it must be
	// the tab context itself (bounded by browserTestTimeout), not a shorter-lived step context.
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start Chromium (%s): %v", exe, err)
	}
	return ctx
}

// chromiumProfile makes a fresh, empty user-data-dir. It is not t.TempDir(): Chromium's helper
// processes may still write to it for a moment after the browser has exited, which would make
// t.TempDir's strict removal fail the test. It is removed with a few retries instead.
func chromiumProfile(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gatehouse-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for i := 0; ; i++ {
			err := os.RemoveAll(dir)
			if err == nil {
				return
			}
			if i == 20 {
				t.Logf("Chromium profile %s not removed: %v", dir, err)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return dir
}

// browse runs one step of a browser test under browserStepTimeout; what names it in the failure.
func browse(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, browserStepTimeout)
	defer cancel()
	if err := chromedp.Run(step, actions...); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: no result within %s: %v", what, browserStepTimeout, err)
		}
		t.Fatalf("%s: %v", what, err)
	}
}

// browserCookies returns the cookies the browser holds for url, by name.
func browserCookies(t *testing.T, ctx context.Context, url string) map[string]*network.Cookie {
	t.Helper()
	var cookies []*network.Cookie
	browse(t, ctx, "read the cookie jar", chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cookies, err = network.GetCookies().WithURLs([]string{url}).Do(ctx)
		return err
	}))
	byName := make(map[string]*network.Cookie, len(cookies))
	for _, c := range cookies {
		byName[c.Name] = c
	}
	return byName
}

// saveScreenshot captures the whole page as PNG into t.TempDir() and, when
// GATEHOUSE_TEST_SCREENSHOTS names a directory, there too (to look at or keep as a CI artifact).
func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	var png []byte
	browse(t, ctx, "screenshot "+name, chromedp.FullScreenshot(&png, 100))
	dirs := []string{t.TempDir()}
	if d := os.Getenv("GATEHOUSE_TEST_SCREENSHOTS"); d != "" {
		dirs = append(dirs, d)
	}
	for _, dir := range dirs {
		p := filepath.Join(dir, name+".png")
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatalf("save screenshot: %v", err)
		}
		t.Logf("screenshot: %s", p)
	}
}
